## Запросы в клиентский сервис (/request) и /my.

request-number = З-{ $id }
request-kind-forwarding = Переадресация
request-kind-staffing = Состав команды
request-kind-badge = Бейдж
request-state-new = 🆕 новый
request-state-in-work = 🔧 в работе
request-state-done = ✅ выполнен
request-state-rejected = ❌ отклонён
request-none = —
request-staffing-new = новый менеджер после аттестации
request-staffing-back = бэк-перевод
request-staffing-dismissal = увольнение
request-badge-audio = аудиобейдж
request-badge-cover = крышка для бейджа
request-position-new = Менеджер по продажам
request-position-back = Бэк-офис

## Поля запроса: без разметки (они же идут в письмо).
request-field-manager = Менеджер: { $value }
request-field-from = Что переадресовать: { $value }
request-field-to = Куда переадресовать: { $value }
request-field-dates = Даты: { $start } — { $end }
request-field-comment = Комментарий: { $value }
request-field-change = Изменение: { $value }
request-field-name = ФИО: { $value }
request-field-group = Рабочая группа: { $value }
request-field-effective = Дата изменения: { $value }
request-field-attestation = Дата аттестации: { $value }
request-field-item = Что нужно: { $value }
request-field-quantity = Количество: { $value }
request-field-place = Шоурум или группа: { $value }
request-field-recipient = Получатель: { $value }

## Пост в группе КС.
request-post-title = 📨 <b>Запрос З-{ $id } · { $kind }</b>
request-post-requester = От: { $name }
request-post-created = Создан: { $when }
request-post-state = Статус: { $state }
request-post-processor = Исполнитель: { $name }
request-post-reason = Причина отказа: { $reason }
request-btn-take = Взять
request-btn-done = Выполнено
request-btn-reject = Отклонить
request-taken = Запрос взят в работу.
request-marked-done = Запрос выполнен.
request-reject-opened = Напишите причину отказа в личном чате с ботом.
request-ask-reason = Почему запрос З-{ $id } отклонён? Напишите причину (не короче 3 символов) — её увидит автор запроса.
request-rejected-saved = Запрос З-{ $id } отклонён, автор получил причину.

## Письмо на почту КС (обычный текст).
request-mail-subject = Запрос З-{ $id }: { $kind }
request-mail-body =
    Запрос З-{ $id } — { $kind }
    От: { $requester }
    Создан: { $created }

    { $fields }

    Обработать запрос можно в группе «Клиентский сервис» в Telegram.

## Уведомления автору и напоминания.
request-notice-in-work = 🔧 Ваш запрос З-{ $id } ({ $kind }) взят в работу, исполнитель — { $who }.
request-notice-done = ✅ Ваш запрос З-{ $id } ({ $kind }) выполнен.
request-notice-rejected =
    ❌ Ваш запрос З-{ $id } ({ $kind }) отклонён.
    Причина: { $reason }
# A team change applied to the roster: added to the requester's «выполнен» notice and sent
# to the other leads of the group.
request-roster-changed = 👥 Состав группы «{ $group }» изменён по запросу З-{ $id }: { $name } — { $change }.
# The manager a lead asked a forwarding for hears whether it was set up.
request-forwarding-manager-done = ✅ Переадресация настроена (запрос З-{ $id }, отправил(а) { $requester }): звонки с номера { $number } переадресуются на { $to } с { $start } по { $end }.
request-forwarding-manager-rejected =
    ❌ Переадресация звонков с номера { $number } ({ $start } — { $end }) не будет настроена: запрос З-{ $id } (отправил(а) { $requester }) отклонён.
    Причина: { $reason }
# Reminders, as replies to the request's post in the group.
request-remind-sla = ⏰ Запрос З-{ $id } ({ $kind }) ждёт больше { $hours } ч — никто не взял его в работу.
request-remind-forwarding-end = ⏰ Сегодня последний день переадресации по запросу З-{ $id }: { $manager }, номер { $number }. Не забудьте вернуть звонки менеджеру. Исполнитель — { $who }.

## Отказы.
request-error-phone = Номер — только цифры, можно с «+» в начале: от 3 до 15 цифр (например, 1234 или +79991234567).
request-error-phone-same = Номер, на который переадресовать, должен отличаться от первого.
request-error-date-past = Эта дата уже прошла: выберите сегодняшнюю или более позднюю.
request-error-date-order = Последний день не может быть раньше первого.
request-error-date-future = Дата аттестации ещё не наступила: выберите сегодняшнюю или более раннюю.
request-error-date-missing = Не выбрана дата.
request-error-text-short = Слишком коротко: нужно не меньше { $min } символов.
request-error-text-long = Текст длиннее { $max } символов (сейчас { $length }). Сократите, пожалуйста.
request-error-quantity = Количество — целое число от { $min } до { $max }.
request-error-kind-forbidden = Такой запрос может подать только лидер рабочей группы.
request-error-manager = Этого менеджера нет в ваших группах.
request-error-staffing-change = Выберите вид изменения.
request-error-group = Эта рабочая группа вам недоступна.
request-error-attestation-missing = Для нового менеджера нужна дата аттестации.
request-error-employee = Этого сотрудника нет в выбранной группе.
request-error-employee-gone = { $name } уже нет в активном составе: отметить запрос выполненным нельзя, его можно отклонить.
request-error-badge-item = Выберите, что нужно: аудиобейдж или крышка.
request-error-forbidden = Обрабатывать запросы может только команда клиентского сервиса.
request-already-done = Уже сделано: запрос З-{ $id } уже в этом статусе или закрыт.
request-error-state = Запрос З-{ $id } сейчас в другом статусе — обновите пост.
request-error-missing = Запрос З-{ $id } не найден.

## Диалог /request.
request-ask-kind = Какой запрос отправить в клиентский сервис?
request-no-kinds = Вам пока нельзя подавать запросы.
request-link-hint = Инструкция — по кнопке ниже.
request-fw-ask-manager = <b>Переадресация.</b> Для кого настроить переадресацию? Выберите менеджера.
request-fw-no-managers = В ваших группах нет менеджеров.
request-fw-ask-from = <b>Переадресация.</b> Какой номер или добавочный переадресовать? Только цифры, можно с «+», от 3 до 15 цифр.
request-fw-ask-to = На какой номер переадресовать? Те же правила; номер должен отличаться от первого.
request-fw-ask-start = Первый день переадресации:
request-fw-ask-end = Последний день переадресации (с { $start }):
request-ask-comment = Комментарий (до { $max } символов) или «Пропустить».
request-st-ask-change = <b>Состав команды.</b> Что изменилось?
request-st-ask-group = Рабочая группа:
request-st-ask-name = ФИО нового менеджера (полностью):
request-st-ask-employee = Кого касается изменение? Выберите сотрудника группы «{ $group }».
request-st-no-people = В группе «{ $group }» нет менеджеров: выберите другую группу.
request-st-ask-effective = С какой даты действует изменение?
request-st-ask-attestation = Дата аттестации (не позже сегодняшней):
request-bd-ask-item = <b>Бейдж.</b> Что нужно?
request-bd-ask-quantity = Сколько штук? Число от { $min } до { $max }.
request-bd-ask-place = Шоурум или рабочая группа:
request-bd-ask-recipient = Кто получит (ФИО):
request-review =
    <b>Проверьте запрос: { $kind }</b>
    { $fields }

    Всё верно? Отправьте запрос или измените поле.
request-btn-send = Отправить
request-btn-edit-manager = Изменить менеджера
request-btn-edit-from = Изменить номер
request-btn-edit-to = Изменить куда
request-btn-edit-dates = Изменить даты
request-btn-edit-comment = Изменить комментарий
request-btn-edit-change = Изменить вид
request-btn-edit-group = Изменить группу
request-btn-edit-name = Изменить ФИО
request-btn-edit-employee = Изменить сотрудника
request-btn-edit-effective = Изменить дату
request-btn-edit-attestation = Изменить дату аттестации
request-btn-edit-item = Изменить что нужно
request-btn-edit-quantity = Изменить количество
request-btn-edit-place = Изменить шоурум
request-btn-edit-recipient = Изменить получателя
request-sent = ✅ Запрос З-{ $id } отправлен в клиентский сервис. О каждом изменении статуса я напишу; все запросы — /my.
request-btn-keep = Дальше ▶
request-current = Сейчас: { $value } — измените или нажмите «Дальше ▶».
request-hint-button = Здесь ответ — кнопкой: выберите вариант ниже.
request-hint-date = Выберите дату в календаре кнопкой ниже.
request-hint-text = Нужен текст: напишите ответ сообщением (файл или фото здесь не подходят).

## /my.
my-title = <b>Мои апелляции и запросы</b>
my-title-lead = <b>Апелляции и запросы: мои и моих групп</b>
my-counts = Всего: { $total } · страница { $page } из { $pages }
my-empty = Пока ничего нет. Подать запрос — /request.
my-request-line = • З-{ $id } · { $kind } · { $state } · { $date }
my-appeal-line = • Апелляция #{ $id } по кейсу #{ $case } · { $state } · { $date }
my-line-by = { $line } · { $name }
my-line-reason = { $line }
    Причина: { $reason }
my-appeal-state-new = на рассмотрении
my-appeal-state-accepted = ✅ принята
my-appeal-state-partial = ◐ принята частично
my-appeal-state-rejected = ❌ отклонена
my-btn-prev = ◀ Назад
my-btn-next = Дальше ▶
