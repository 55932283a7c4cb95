## Апелляции: диалог подачи, пост для КС, решения, напоминания, ошибки.

appeal-state-new = на рассмотрении
appeal-state-accepted = ✅ принята
appeal-state-partial = ◐ принята частично
appeal-state-rejected = ❌ отклонена
# { $state } is the state's code; shown in words.
appeal-state-name = { $state ->
    [accepted] принята
    [partial] принята частично
    [rejected] отклонена
   *[other] на рассмотрении
}

appeal-procedure = 📎 Порядок подачи: <a href="{ $url }">{ $title }</a>
appeal-ask-case =
    <b>Апелляция по кейсу</b>
    Выберите кейс, который хотите обжаловать. Обжаловать можно в течение { $days } дн. после публикации кейса, один раз.
    { $procedure }
appeal-no-cases =
    <b>Апелляция по кейсу</b>
    Сейчас нет кейсов, которые можно обжаловать: срок подачи ({ $days } дн. после публикации) прошёл, апелляция уже подана или кейс закрыт.
    { $procedure }
appeal-case-item = #{ $id } · { $date } · { $manager }
appeal-ask-reason =
    <b>Апелляция по кейсу #{ $id }</b> ({ $manager })
    Подать апелляцию можно до { $closes }.
    Напишите, почему вы не согласны с кейсом: от { $min } до { $max } символов.
    { $procedure }
appeal-ask-evidence =
    Кейс #{ $id }: приложите доказательства — файлы (фото, документ, аудио, голосовое) или ссылки, до { $max } штук. Если их нет, нажмите «Пропустить».
    Добавлено: { $evidence }
appeal-review =
    <b>Проверьте апелляцию</b>
    Кейс: #{ $id } · { $manager } · опубликован { $posted }
    Подать апелляцию можно до { $closes }.
    Причина: { $reason }
    Доказательства: { $evidence }
appeal-evidence-none = нет
appeal-evidence-link = • { $url }
appeal-evidence-files = • файлов: { $count }

appeal-btn-done = Готово
appeal-btn-clear = Убрать добавленное
appeal-btn-edit-case = Изменить кейс
appeal-btn-edit-reason = Изменить причину
appeal-btn-edit-evidence = Изменить доказательства
appeal-btn-send = Отправить
appeal-btn-accept = Принять
appeal-btn-partial = Частично
appeal-btn-reject = Отклонить

appeal-pick-button = Выберите кейс кнопкой под сообщением.
appeal-reason-text-only = Причину нужно написать текстом.
appeal-evidence-wrong = Здесь нужны файлы (фото, документ, аудио, голосовое) или ссылки https://…
appeal-review-buttons = Отправьте апелляцию или измените её кнопками под сообщением.
appeal-caption-dropped = Файл добавлен; подпись к нему в апелляцию не попадёт — напишите её в причине.
appeal-sent =
    Апелляция #{ $id } по кейсу #{ $case } отправлена команде клиентского сервиса.
    КС примет решение до { $due } ({ $days } { $days ->
        [one] рабочий день
        [few] рабочих дня
       *[many] рабочих дней
    } по производственному календарю). Решение придёт сюда.

appeal-post =
    📨 <b>Апелляция #{ $id }</b> по кейсу #{ $case } · { $category } · { $tab }
    Менеджер: <b>{ $manager }</b> ({ $group })
    Подал(а): { $filer }
    Кейс опубликован { $posted }: { $summary }

    <b>Причина:</b> { $reason }
    <b>Доказательства:</b>
    { $evidence }
appeal-post-due = <b>Статус:</b> на рассмотрении · решение нужно до { $due }
appeal-post-decided =
    <b>Решение:</b> { $decision } — { $who }, { $when }
    Комментарий: { $comment }

appeal-input-opened = Продолжите в личном чате с ботом.
appeal-ask-comment = Апелляция #{ $id } (кейс #{ $case }): решение — { appeal-state-name }. Напишите комментарий для менеджера (от { $min } символов).
appeal-decided = Записано: апелляция #{ $id } — { appeal-state-name }. Менеджер и лидер получат решение.
appeal-withdraw-comment = апелляция #{ $id } принята: { $comment }
appeal-decision-notice =
    Решение по апелляции #{ $id } (кейс #{ $case }, { $manager }): <b>{ $decision }</b>.
    Комментарий КС: { $comment }{ $withdrawn ->
        [true] { "" }
    Кейс отозван.
       *[other] { "" }
    }

# The case's manager and its leads (not the filer) hear an appeal filed, as a reply to their
# own message about the case.
appeal-filed-notice =
    📨 Апелляция #{ $id } по кейсу #{ $case } ({ $manager }) передана команде клиентского сервиса.
    Подал(а): { $filer }. Решение придёт сюда.
appeal-remind-sla = ⏰ Апелляция #{ $id } по кейсу #{ $case } ({ $manager }) подана { $created } и всё ещё ждёт решения. Решение нужно до { $due }.
# The appeal clock ran out: a reply to the appeal's post; $heads are mentions (safe HTML).
appeal-overdue =
    🚨 Апелляция #{ $id } по кейсу #{ $case } ({ $manager }) просрочена: решение нужно было принять до { $due } ({ $days } { $days ->
        [one] рабочий день
        [few] рабочих дня
       *[many] рабочих дней
    } с подачи { $created }).
    Руководители КС: { $heads }
appeal-head-unknown = руководитель КС

appeal-mail-subject = Апелляция #{ $id } по кейсу #{ $case }
appeal-mail-body =
    Апелляция #{ $id } по кейсу #{ $case }
    Менеджер: { $manager } ({ $group })
    Подал(а): { $filer }, { $created }

    Причина:
    { $reason }

    Доказательства:
    { $evidence }

    Решение принимается в группе «Клиентский сервис» кнопками под постом апелляции.

appeal-error-forbidden = Обжаловать кейс может его менеджер или лидер его группы.
appeal-error-missing = Кейс #{ $id } не найден.
appeal-error-not-yours = Кейс #{ $id } не ваш: обжаловать его может менеджер кейса или лидер его группы.
appeal-error-open = По кейсу #{ $id } уже подана апелляция #{ $appeal } ({ $date }), она на рассмотрении. Вторую подать нельзя.
appeal-error-decided = По кейсу #{ $id } апелляция #{ $appeal } уже рассмотрена: { $decision }. Комментарий КС: { $comment }
appeal-error-case-final = Кейс #{ $id } уже { $state }: обжаловать его нельзя.
appeal-error-window = Срок подачи апелляции по кейсу #{ $id } истёк { $closed }.
appeal-error-reason-short = Слишком коротко ({ $length }): опишите причину хотя бы в { $min } символов.
appeal-error-reason-long = Слишком длинно: не больше { $max } символов (сейчас { $length }).
appeal-error-evidence = Это не ссылка. Пришлите файл или ссылку вида https://… (или нажмите «Пропустить»).
appeal-error-evidence-full = Больше { $max } доказательств добавить нельзя.
appeal-error-comment-short = Слишком коротко: нужно хотя бы { $min } символа.
appeal-error-comment-long = Слишком длинно: не больше { $max } символов (сейчас { $length }).
appeal-error-cs-only = Решение по апелляции принимает команда клиентского сервиса.
appeal-error-appeal-missing = Апелляция #{ $id } не найдена.
appeal-already-decided = Уже решено: апелляция #{ $id } — { appeal-state-name } ({ $who }).
appeal-error-accept-final = Кейс #{ $id } уже { $state }: отозвать его нельзя. Выберите «Частично» или «Отклонить».
appeal-comment-text-only = Комментарий нужно написать текстом.
