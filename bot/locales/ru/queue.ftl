## /queue: что ждёт действий клиентского сервиса или лидера группы, сначала самое давнее.
## Имена стоят там, где не нужен падеж: «Апелляция #5 по кейсу #12 — Иван Петров».

queue-title-cs = 📋 <b>Очередь клиентского сервиса</b> · ждут действий: { $total }
queue-title-lead = 📋 <b>Ваша очередь</b> · ждут вас: { $total }
queue-overdue = ⚠️ Просрочено: { $count }
queue-counts = Страница { $page } из { $pages }, сначала самые давние.
queue-empty-cs = Ничего не ждёт: открытых апелляций, запросов, повторных проверок, разборов и запросов доступа нет.
queue-empty-lead = Сейчас ничего не ждёт вас: новых кейсов, брифингов, разборов и открытых запросов нет.
queue-hint = Кнопка с номером пункта открывает его вместе с кнопками действия.
queue-line =
    { $number }. { $what }
    { $when }
queue-due = ⏱ срок { $due }
queue-due-overdue = ⚠️ срок { $due } — просрочено
queue-since = ⏱ ждёт с { $since }

queue-appeal = ⚖️ Апелляция #{ $id } по кейсу #{ $case } — { $manager }
queue-request = 📨 Запрос З-{ $id } · { $kind } — { $requester } · { $state }
queue-request-own = 📨 Ваш запрос З-{ $id } · { $kind } · { $state }
queue-request-new = новый
queue-request-in-work = в работе, исполнитель — { $name }
queue-case-recheck = 🔁 Повторная проверка по кейсу #{ $id } — { $manager }
queue-case-analysed = 📝 Разбор по кейсу #{ $id } — { $manager }: подтвердите или верните
queue-access = 🔑 Запрос доступа №{ $id } — { $name }
queue-case-new = 🆕 Кейс #{ $id } — { $manager }: нажмите «Беру в работу»
queue-case-set-briefing = 📅 Кейс #{ $id } — { $manager }: назначьте брифинг
queue-case-briefing-held = ✅ Кейс #{ $id } — { $manager }: брифинг { $when }, отметьте, что он проведён
queue-case-analysis = 📝 Кейс #{ $id } — { $manager }: заполните разбор
queue-case-returned = ↩️ Кейс #{ $id } — { $manager }: разбор возвращён («{ $comment }»), заполните заново

## Кнопки: обычный текст, не HTML.
queue-btn-item = { $number }. { $label }
queue-btn-appeal = Апелляция #{ $id } · { $manager }
queue-btn-request = Запрос З-{ $id } · { $requester }
queue-btn-case = Кейс #{ $id } · { $manager }
queue-btn-access = Доступ №{ $id } · { $name }
queue-btn-prev = ◀ Раньше
queue-btn-next = Дальше ▶
queue-btn-refresh = 🔄 Обновить

## Ответы на кнопки (всплывающие, обычный текст) и отказы.
queue-error-manager = Очередь — для клиентского сервиса и лидеров групп. Ваши апелляции и запросы — в /my, ваши кейсы — в /cases.
queue-error-group-cs = В группе очередь — для сотрудников клиентского сервиса. Свою очередь откройте в личном чате с ботом: /queue.
queue-error-stale = Этот список устарел. Отправьте /queue ещё раз.
queue-error-missing = Этого пункта уже нет в очереди. Нажмите «Обновить».
queue-error-done = Уже решено. Нажмите «Обновить», чтобы увидеть очередь как сейчас.
queue-error-cs-only = Этот пункт открывает только клиентский сервис.
queue-refreshed = Очередь обновлена.
queue-unchanged = В очереди ничего не изменилось.
