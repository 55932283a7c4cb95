## /export: выгрузка кейсов, апелляций, запросов и итогов в Excel за период (только КС).

export-forbidden = Выгрузка доступна только сотрудникам клиентского сервиса.
export-ask-period =
    <b>Выгрузка в Excel</b>
    За какой период? В файле будут кейсы с историей, апелляции и запросы, созданные в эти дни, и итоги месяцев, которые пересекаются с периодом.
export-choose-button = Выберите период кнопкой под сообщением.
export-period-this-month = Этот месяц
export-period-last-month = Прошлый месяц
export-period-last-3-months = Последние 3 месяца
export-period-this-year = С начала года
export-period-all-time = Всё время
export-period-custom = Свой период
export-ask-start =
    <b>Выгрузка в Excel</b> · свой период
    Выберите первый день в календаре или напишите весь период: 01.10.2026–31.10.2026.
export-ask-end =
    <b>Выгрузка в Excel</b> · свой период
    Первый день: { $start }. Выберите последний день в календаре или напишите весь период: 01.10.2026–31.10.2026.
export-text-only = Напишите период текстом, например 01.10.2026–31.10.2026, или выберите день в календаре.
export-error-period = Не понял период: нужен вид 01.10.2026–31.10.2026 (первый и последний день через тире).
export-error-order = Последний день ({ $end }) раньше первого ({ $start }): выберите другой.
export-building = ⏳ Собираю выгрузку за { $start } — { $end }…
export-done = ✅ Выгрузка за { $start } — { $end } отправлена ниже.
export-failed = Не получилось собрать выгрузку. Попробуйте ещё раз чуть позже.

export-caption-title = 📊 Выгрузка за { $start } — { $end }
export-caption-empty = За этот период нет записей — в файле только заголовки.
export-count-cases = Кейсы: { $count }
export-count-history = История кейсов: { $count }
export-count-appeals = Апелляции: { $count }
export-count-requests = Запросы: { $count }
export-count-results = Итоги: { $count }

## Листы и столбцы файла (обычный текст). { $tz } — часовой пояс времени в столбце.
export-sheet-cases = Кейсы
export-sheet-history = История кейсов
export-sheet-appeals = Апелляции
export-sheet-requests = Запросы
export-sheet-results = Итоги
export-col-number = Номер
export-col-tab = Вкладка
export-col-category = Категория
export-col-source = Источник
export-col-state = Статус
export-col-manager = Менеджер
export-col-group = Рабочая группа
export-col-incident-date = Дата ошибки
export-col-summary = Суть
export-col-link = Ссылка
export-col-repeated = Повторная
export-col-author = Автор
export-col-created = Создан ({ $tz })
export-col-accepted = Взят в работу ({ $tz })
export-col-briefing-date = Брифинг ({ $tz })
export-col-recheck-due = Повторная проверка до ({ $tz })
export-col-analysis-process = Процесс
export-col-analysis-cause = Причина
export-col-analysis-measures = Принятые меры
export-col-measures-due = Срок мер
export-col-closed = Закрыт ({ $tz })
export-col-case = Кейс
export-col-when = Когда ({ $tz })
export-col-who = Кто
export-col-action = Действие
export-col-from = Было
export-col-to = Стало
export-col-comment = Комментарий
export-col-filer = Кто подал
export-col-reason = Причина
export-col-decided-by = Кто решил
export-col-decision-comment = Комментарий к решению
export-col-decided = Решено ({ $tz })
export-col-kind = Вид
export-col-requester = Автор
export-col-processor = Исполнитель
export-col-reject-reason = Причина отказа
export-col-fields = Поля запроса
export-col-month = Месяц
export-col-score = Оценка, %
export-col-evaluations = Оценок
export-yes = да
export-no = нет
export-bot = бот

export-action-register = кейс зарегистрирован
export-action-accept = взят в работу
export-action-set-briefing = назначен брифинг
export-action-briefing-held = брифинг проведён
export-action-recheck-passed = повторная проверка пройдена
export-action-recheck-failed = ошибка повторилась
export-action-submit-analysis = разбор отправлен
export-action-confirm = разбор подтверждён
export-action-return = разбор возвращён
export-action-withdraw = кейс отозван
export-action-other = запись
