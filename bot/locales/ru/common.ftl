## Общие тексты: роли, команды, ошибки.

role-cs = сотрудник клиентского сервиса
role-lead = лидер рабочей группы
role-manager = менеджер

cmd-start = Начать работу
cmd-help = Что умеет бот
cmd-standards = Стандарты, результаты, инструкции
cmd-links = Изменить ссылки /standards
cmd-cancel = Выйти из текущего диалога
cmd-case = Зарегистрировать кейс
cmd-cases = Кейсы: список и поиск
cmd-request = Запрос в клиентский сервис
cmd-my = Мои апелляции и запросы
cmd-queue = Очередь: что ждёт действий
cmd-appeal = Обжаловать кейс
cmd-analysis = Опубликовать разбор звонка
cmd-import = Загрузить итоги месяца или таблицу кейсов
cmd-digest = Итоги месяца: предпросмотр и публикация
cmd-results = Итоги месяца по группам
cmd-export = Выгрузка в Excel за период

btn-back = ◀ Назад
btn-close = Закрыть
btn-cancel = Отмена
btn-skip = Пропустить
btn-save = Сохранить

error-forbidden = Это действие вам недоступно.
error-already-done = Уже сделано.
error-not-found = Не найдено: возможно, запись уже удалена.
error-stale-button = Кнопка устарела или недоступна вам.
error-command-role = Команда /{ $command } вам недоступна. Список ваших команд — /help.
error-unknown-command = Не знаю такой команды. Список команд — /help.
error-internal = Что-то пошло не так. Попробуйте ещё раз; если ошибка повторится, напишите команде клиентского сервиса.
not-understood = Не понял сообщение. Список команд — /help.

cancelled = Диалог закрыт, ничего не сохранено.
nothing-to-cancel = Сейчас нет открытого диалога.

employee-card = <b>{ $name }</b> — { $role }
employee-card-groups = Группы: { $groups }
employee-card-position = Должность: { $position }

## The calendar of date steps (aiogram-dialog shows English names otherwise).
calendar-month = { $month ->
    [1] Январь
    [2] Февраль
    [3] Март
    [4] Апрель
    [5] Май
    [6] Июнь
    [7] Июль
    [8] Август
    [9] Сентябрь
    [10] Октябрь
    [11] Ноябрь
    [12] Декабрь
   *[other] { $month }
}
calendar-this-month = [ { calendar-month } ]
calendar-header = 🗓 { calendar-month } { $year }
calendar-prev = ◀ { calendar-month }
calendar-next = { calendar-month } ▶
calendar-weekday = { $weekday ->
    [1] Пн
    [2] Вт
    [3] Ср
    [4] Чт
    [5] Пт
    [6] Сб
   *[other] Вс
}


## A month of results: «октябрь 2026».
month-name = { $month ->
    [1] январь
    [2] февраль
    [3] март
    [4] апрель
    [5] май
    [6] июнь
    [7] июль
    [8] август
    [9] сентябрь
    [10] октябрь
    [11] ноябрь
    [12] декабрь
   *[other] { $month }
} { $year }
month-error = Не понял месяц «{ $value }»: нужен вид 2026-10, 10.2026 или дата.

## Набор разговора: подсказки на неверный ввод, календари.

kit-hint-buttons = Выберите вариант кнопкой под сообщением. Выйти — /cancel.
kit-hint-calendar = Выберите дату кнопкой в календаре под сообщением. Выйти — /cancel.
kit-hint-text-expected = Здесь нужен текст сообщением, не файл. Выйти — /cancel.
calendar-day-past = Этот день уже прошёл.
calendar-day-future = Этот день ещё не наступил.
calendar-day-unavailable = Этот день выбрать нельзя.
shortcut-opened = Продолжите в личном чате с ботом.
shortcut-no-private = Сначала откройте личный чат с ботом и нажмите «Старт», затем нажмите кнопку ещё раз.
