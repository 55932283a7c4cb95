## Кейсы: названия, посты, кнопки, напоминания, ошибки.

case-tab-cases = Кейсы
case-tab-growth = Зоны роста
case-tab-csi = CSI
case-category-communication = Ошибка в коммуникации
case-category-process = Ошибка в процессе
case-source-meeting = онлайн-встреча
case-source-call = исходящий звонок
case-source-request = обращение
case-source-csi = CSI

case-state-new = новый
case-state-accepted = в работе
case-state-briefing-set = брифинг назначен
case-state-recheck = повторная проверка
case-state-analysed = разбор на проверке
case-state-closed = закрыт
case-state-repeated = ошибка повторилась
case-state-withdrawn = отозван

# { $state } is the state's code; shown in words.
case-state-name = { $state ->
    [new] новый
    [accepted] в работе
    [briefing_set] брифинг назначен
    [recheck] повторная проверка
    [analysed] разбор на проверке
    [closed] закрыт
    [repeated] ошибка повторилась
    [withdrawn] отозван
   *[other] { $state }
}

case-post-title = 📋 <b>Кейс #{ $id }</b> · { $category } · { $tab }
case-post-manager = Менеджер: <b>{ $name }</b> ({ $group })
case-post-source = Источник: { $source } · дата: { $date }
case-post-repeated = 🔁 <b>Повторная ошибка</b>
case-post-repeated-of = 🔁 <b>Повторная ошибка</b> (ранее — кейс #{ $other })
case-post-summary = { $summary }
case-post-cut = { " " }… (полностью — /case { $id })
case-post-link = Запись: { $url }
case-post-attachments = Вложения: { $count }
case-post-analysis =
    <b>Разбор лидера</b>
    Процесс: { $process }
    Причина: { $cause }
    Меры: { $measures }
    Срок мер: { $due }
case-post-status = <b>Статус:</b> { $status }
case-post-comment = Комментарий: { $comment }
case-post-last-action = <i>{ $who }, { $when }</i>

case-status-new = 🆕 новый — ждёт «Беру в работу»
case-status-accepted = 🛠 в работе — { $who }, с { $date }
case-status-briefing-set = 📅 брифинг назначен: { $when }
case-status-recheck = ✅ Брифинг { $date } · повторная проверка до { $due }
case-status-analysed = 📝 разбор получен — ждёт подтверждения КС
case-status-closed = ✔️ закрыт { $date }
case-status-repeated = 🔁 ошибка повторилась ({ $date })
case-status-withdrawn = ↩️ отозван по апелляции

case-btn-accept = Беру в работу
case-btn-set-briefing = Назначить брифинг
case-btn-briefing-held = Брифинг проведён
case-btn-recheck-passed = Проверка пройдена
case-btn-recheck-failed = Ошибка повторилась
case-btn-submit-analysis = Заполнить разбор
case-btn-confirm = Подтвердить
case-btn-return = Вернуть на доработку
case-btn-withdraw = Отозвать
case-btn-appeal = Обжаловать
case-btn-acknowledge = 👁 Ознакомлен

case-manager-notice =
    По вашей работе зарегистрирован кейс #{ $id }. Если вы не согласны, его можно обжаловать до { $closes } ({ $days } дн. с публикации).

    { $post }
# What the manager hears of each change of his case (a reply to his first notice).
case-manager-accepted = 🛠 Кейс #{ $id } взят в работу. Лидер — { $who }.
case-manager-briefing = 📅 Кейс #{ $id }: брифинг — { $when }. Лидер — { $who }.
case-manager-briefing-held = ✅ Кейс #{ $id }: брифинг проведён. Повторная проверка — до { $due }.
case-manager-recheck-passed = ✔️ Кейс #{ $id }: повторная проверка пройдена, кейс закрыт.
case-manager-recheck-failed =
    🔁 Кейс #{ $id }: при повторной проверке ошибка повторилась.
    Комментарий КС: { $comment }
case-manager-analysis-submitted = 📝 Кейс #{ $id }: лидер отправил разбор в КС, срок мер — { $due }. Лидер — { $who }.
case-manager-analysis-confirmed = ✔️ Кейс #{ $id }: КС подтвердила разбор лидера, кейс закрыт.
case-manager-analysis-returned =
    ↩️ Кейс #{ $id }: КС вернула разбор лидеру на доработку.
    Комментарий КС: { $comment }
case-manager-withdrawn = ↩️ Кейс #{ $id } отозван.
case-manager-comment = Комментарий: { $comment }
case-manager-appeal-until = Обжаловать кейс можно до { $closes }.
# CS hears in the group, as a reply to the case post.
case-briefing-reply =
    📅 <b>Кейс #{ $id }: брифинг — { $when }</b>
    Лидер — { $who } · менеджер — { $manager }
case-analysis-reply =
    📝 <b>Разбор по кейсу #{ $id }</b> — { $who }
    Процесс: { $process }
    Причина: { $cause }
    Меры: { $measures }
    Срок мер: { $due }
case-returned-notice =
    ↩️ Разбор по кейсу #{ $id } вернули на доработку.
    Комментарий КС: { $comment }
    Заполните разбор ещё раз: кнопка «Заполнить разбор».

case-done = Готово.
case-input-opened = Продолжите в личном чате с ботом.
case-ask-briefing-date = Кейс #{ $id }: выберите дату брифинга (сегодня или позже).
case-ask-briefing-time = Кейс #{ $id }, брифинг { $date }: выберите время.
case-ask-briefing-no-time = Кейс #{ $id }: на { $date } свободного времени не осталось. Выберите другой день.
case-ask-failed-comment = Кейс #{ $id }: что повторилось? Напишите комментарий (от 3 символов).
case-ask-return-comment = Кейс #{ $id }: что нужно доработать в разборе? Напишите комментарий (от 3 символов).
case-ask-process = Кейс #{ $id }, разбор (1/4): в каком процессе возникает ошибка?
case-ask-cause = Разбор (2/4): в чём причина?
case-ask-measures = Разбор (3/4): какие меры приняты или будут приняты?
case-ask-measures-due = Разбор (4/4): до какой даты меры будут выполнены?
case-analysis-review =
    <b>Разбор по кейсу #{ $id }</b>
    Процесс: { $process }
    Причина: { $cause }
    Меры: { $measures }
    Срок мер: { $due }
case-briefing-saved = Брифинг по кейсу #{ $id } назначен: { $when }.
case-comment-saved = Записано: кейс #{ $id } — { $state }.
case-analysis-saved = Разбор по кейсу #{ $id } отправлен КС.
btn-case-analysis-send = Отправить разбор
btn-case-edit-process = Изменить процесс
btn-case-edit-cause = Изменить причину
btn-case-edit-measures = Изменить меры
btn-case-edit-due = Изменить срок

case-remind-ack = ⏰ Кейс #{ $id } ({ $manager }) ждёт реакции: нажмите «Беру в работу».
case-remind-escalate = ⚠️ Кейс #{ $id } без реакции больше { $hours } ч. Лидеры группы: { $leads }
case-remind-recheck-soon = 🔔 Скоро повторная проверка по кейсу #{ $id } ({ $manager }): срок { $due }.
case-remind-recheck-today = 🔔 Сегодня повторная проверка по кейсу #{ $id } ({ $manager }). Результат — кнопками ниже или в посте кейса.
case-remind-recheck-today-lead = 🔔 Сегодня повторная проверка по кейсу #{ $id } ({ $manager }); результат отметит КС.
case-remind-briefing-lead = 📅 Сегодня брифинг по кейсу #{ $id } — { $when }, менеджер — { $manager }. После встречи нажмите «Брифинг проведён».
case-remind-briefing-manager = 📅 Сегодня брифинг по кейсу #{ $id } — { $when }. Лидер — { $who }.
case-remind-measures = 🔔 Сегодня срок мер по кейсу #{ $id } ({ $manager }).

mention = <a href="tg://user?id={ $id }">{ $name }</a>
plain-name = { $name }

case-already-done = Уже сделано: кейс сейчас — { case-state-name }.
case-error-state = Сейчас это сделать нельзя: кейс — { case-state-name }.
case-error-forbidden = Это действие вам недоступно.
case-error-not-your-group = Это кейс другой рабочей группы.
case-error-wrong-track = Эта кнопка не для кейса этой категории.
case-error-missing = Кейс #{ $id } не найден или недоступен вам.
case-error-manager = Менеджер не найден в списке сотрудников или неактивен.
case-error-manager-group = У сотрудника «{ $name }» нет рабочей группы в списке.
case-error-summary-empty = Опишите проблему: текст не может быть пустым.
case-error-summary-long = Описание длиннее { $max } символов (сейчас { $length }). Сократите его.
case-error-link = Это не ссылка. Пришлите адрес вида https://… или нажмите «Пропустить».
case-error-text-short = Слишком коротко: нужно хотя бы { $min } символа.
case-error-text-long = Слишком длинно: не больше { $max } символов.
case-error-date-future = Дата ещё не наступила. Выберите сегодняшнюю или прошедшую дату.
case-error-date-past = Эта дата уже прошла. Выберите сегодня или позже.
case-error-date-missing = Выберите дату в календаре.
case-error-briefing-time = Это время уже прошло или не входит в рабочие часы. Выберите другое.
case-error-briefing-day-over = На этот день свободного времени для брифинга не осталось.
case-error-analysis-missing = Заполните разбор.
case-error-attachment = Этот тип файла не подходит: нужны фото, документ, аудио или голосовое.
case-error-text-only = Пришлите текстом.

# The audit log's comments written by the service (the case history, the export).
case-audit-repeat-of = повтор кейса #{ $id }

# The manager's «Ознакомлен» (bot/services/case_ack.py).
case-manager-ack-until = Прочитайте кейс и нажмите «Ознакомлен» до { $until }.
case-post-acknowledged = 👁 Менеджер ознакомлен: { $when }
case-ack-done = Отмечено: вы ознакомлены с кейсом #{ $id }.
case-ack-already = Вы уже отметили ознакомление: { $when }.
case-ack-not-yours = Отметить ознакомление может только менеджер, по работе которого кейс.
case-ack-nudge = 👁 Кейс #{ $id } ждёт вашего ознакомления: прочитайте его и нажмите «Ознакомлен».
case-ack-lead = 👁 Ознакомление с кейсом #{ $id } от { $date } не отмечено: менеджер — { $manager }. Напомните, пожалуйста.
