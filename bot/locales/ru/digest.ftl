## Итоги месяца (дайджест): /digest и публикация по расписанию (DESIGN §6).
## Числа ($score, $delta, $before) приходят уже оформленными: «87,4 %», «+1,2 п.п.», «—».

digest-caption =
    📊 <b>Итоги месяца: { $month }</b>
    Общая оценка: <b>{ $score }</b>, { $change }

digest-head =
    📊 <b>Итоги месяца: { $month }</b>
    Общая оценка: <b>{ $score }</b> (оценок: { $evaluations })
    Изменение: { $change }
digest-change = { $delta } (в прошлый раз, { $previous }: { $before })
digest-change-none = сравнить не с чем — это первый месяц с итогами

digest-groups-title = <b>Рейтинг групп</b> ({ $count })
digest-group-line = { $rank }. { $name } — { $score } ({ $delta })

digest-lowest-title = <b>Ниже всех</b> ({ $count })
digest-lowest-line = 🔻 { $name } — { $score } (место { $rank })
# Группы, чей балл снижался три месяца подряд (каждый месяц ниже предыдущего), по имени.
digest-falling = 📉 Балл снижается три месяца подряд: { $names }{ $more ->
    [0] {""}
   *[other] {" "}и ещё { $more }
}

digest-repeated-title = <b>Повторные ошибки за месяц</b>
digest-repeated-line = 🔁 { $name } — { $count }
digest-repeated-none = <b>Повторные ошибки за месяц</b>: нет

digest-cases-title = <b>Кейсы за месяц</b>: { $total }
digest-cases-by-category = По категориям:
digest-cases-by-tab = По вкладкам:
digest-count-line = • { $name }: { $count }

digest-acknowledged =
    Ознакомление менеджеров с кейсами:
    • в срок: { $in_time }
    • с опозданием: { $late }
    • не отмечено: { $never }

digest-appeals =
    <b>Апелляции за месяц</b>: рассмотрено { $decided }
    • принято: { $accepted }
    • принято частично: { $partial }
    • отклонено: { $rejected }
# The appeal clock (APPEAL_DECIDE_WITHIN working days); $average like «1,5».
digest-appeals-clock =
    • решено в срок: { $in_time }, с опозданием: { $late }
    • в среднем до решения: { $average } раб. дн.
    Доля принятых по категориям:
digest-appeals-accepted = • { $category }: принято { $accepted } из { $decided } ({ $share })

digest-invite-title = <b>Встреча по итогам месяца</b>
## После digest-invite-line — лидеры группы через запятую (упоминания).
digest-invite-line = { $name }:
digest-no-lead = лидер не указан
digest-invite-note = Лидеров этих групп приглашаем на встречу с командой КС: приглашение с кнопкой «Записаться на встречу» придёт в личные сообщения.

digest-chart-title = Итоги: { $month } · оценка по группам, %
digest-chart-lowest = ниже всех
digest-chart-others = остальные

## Предпросмотр у сотрудника КС.
digest-preview-note = <i>Это предпросмотр: в группе итоги появятся после «Опубликовать».</i>
digest-preview-posted = <i>Итоги за { $month } уже опубликованы { $at }: это только просмотр.</i>
digest-btn-publish = ✅ Опубликовать
digest-btn-close = Закрыть
digest-published = ✅ Итоги за { $month } опубликованы в группе.
digest-published-invited = ✅ Итоги за { $month } опубликованы в группе. Приглашений на встречу: { $count }.
digest-already-posted = Итоги за { $month } уже опубликованы { $at }.
digest-preview-closed = Предпросмотр закрыт, ничего не опубликовано.

digest-no-results = Итогов ещё нет ни за один месяц: загрузите их командой /import.
digest-no-results-month = Итогов за { $month } нет. Загрузите их командой /import или укажите месяц с итогами: /digest 10.2026.
digest-error-forbidden = Итоги месяца публикует только команда клиентского сервиса.

## В группу КС, если к времени публикации итогов за прошлый месяц ещё нет.
digest-missing = 📊 Итогов за { $month } ещё нет, поэтому итоги месяца не опубликованы. Загрузите их командой /import, затем опубликуйте командой /digest.
digest-btn-import = Загрузить итоги
