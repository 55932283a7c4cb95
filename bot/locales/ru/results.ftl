## /results: итоги месяца в области видимости пользователя (DESIGN §6).

results-title = 📊 <b>Итоги за { $month }</b>
results-overall = Общий балл: <b>{ $score }</b> ({ $change }), оценок: { $evaluations }, групп: { $groups }
results-change-note = <i>Изменение — к итогам за { $month }.</i>
results-no-previous = <i>Более ранних итогов нет — изменения не с чем сравнить.</i>
results-own = Ваша оценка: <b>{ $score }</b> (оценок: { $evaluations })
# Место группы среди всех групп месяца, балл, изменение в п.п., число оценок.
results-group-line = { $rank } из { $total }. <b>{ $name }</b> — { $score } ({ $change }), оценок: { $evaluations }
results-manager-line = {"    "}· { $name } — { $score }, оценок: { $evaluations }
results-page = Стр. { $page }/{ $pages }
results-none-in-scope = За этот месяц нет итогов по вашим группам.
results-empty = Итогов пока нет: клиентский сервис ещё не загрузил ни одного месяца.
results-month-gone = Итогов за этот месяц больше нет. Откройте /results заново.

results-btn-previous = ◀ Предыдущий месяц
results-btn-next = Следующий месяц ▶
results-btn-page-back = ◀
results-btn-page-next = ▶
