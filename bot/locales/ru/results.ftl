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
results-btn-trends = 📈 Динамика

## /results «Динамика»: график баллов за 12 месяцев в области видимости пользователя.

trends-scope-overall = общий балл
trends-scope-overall-group = общий балл и { $name }
trends-scope-lead = { $count ->
    [1] ваша группа
   *[other] ваши группы
}
trends-scope-group = { $name }
trends-scope-manager = ваш балл и ваша группа
trends-caption-title = 📈 <b>Динамика: { $scope }</b>
trends-caption-period = { $first } — { $last } (12 месяцев; месяц без итогов — разрыв линии)
# Последнее значение линии, месяц, к которому оно относится, и изменение к предыдущему месяцу с итогами.
trends-caption-line = · { $name }: <b>{ $score }</b> за { $month } ({ $change })
trends-caption-line-none = · { $name }: итогов за эти месяцы нет
trends-note-more = Показаны { $shown } групп из { $total } — остальные выберите кнопками ниже.
trends-note-no-own = <i>Вашего личного балла в итогах нет: группу загружали одной строкой, поэтому показан балл группы.</i>
trends-note-pick = <i>Выберите группу ниже, чтобы увидеть её график.</i>
trends-line-overall = Общий балл
trends-line-own = Ваш балл
trends-chart-title = Динамика: { $scope }
trends-chart-axis = Балл, %
trends-month-short = { $month ->
    [1] янв
    [2] фев
    [3] мар
    [4] апр
    [5] май
    [6] июн
    [7] июл
    [8] авг
    [9] сен
    [10] окт
    [11] ноя
    [12] дек
   *[other] { $month }
} { $year }
trends-btn-overview = ↩ Общий график
trends-not-your-group = Это не ваша группа: график доступен только по группам, которые вы видите в /results.
trends-group-gone = Такой группы нет. Откройте /results заново.
trends-none-in-scope = За последние 12 месяцев нет итогов по вашим группам — графику не из чего строиться.
