## Слепая калибровка: /calibrate, приглашение и голосование участника, напоминание, итоги в группе КС.

calibration-subject-case = кейс #{ $case } · { $category }
calibration-subject-link = запись { $link } · { $category }
calibration-verdict-confirmed = ошибка подтверждена
calibration-verdict-no-error = ошибки нет
calibration-verdict-partly = частично
calibration-no-comment = без комментария
calibration-btn-vote = 🎯 Оценить

calibration-invite =
    🎯 <b>Слепая калибровка #{ $id }</b>
    Оцените: { $subject }
    Срок: до { $deadline }.
    Ваша оценка видна только вам, пока не проголосуют все участники или не наступит срок; затем итоги придут в группу КС.
calibration-reminder =
    ⏰ <b>Калибровка #{ $id }</b>: ваша оценка ещё не получена. Срок — { $deadline }.
calibration-voted =
    ✅ Оценка по калибровке #{ $id } принята. Итоги придут в группу КС, когда проголосуют все участники или наступит срок.

calibration-result =
    🎯 <b>Итоги калибровки #{ $id }</b>
    { $subject }

    { $votes }

    Разброс оценок: { $spread }{ $flag }{ $missing }
calibration-result-vote = • <b>{ $name }</b> — { $verdict } · { $score } · { $comment }
calibration-result-no-votes = Никто не проголосовал.
calibration-spread-none = —
calibration-flag = {"\u000A"}⚠️ Расхождение
calibration-flag-short = {" "}· ⚠️ Расхождение
calibration-missing = {"\u000A"}Не проголосовали: { $names }

calibration-list =
    🎯 <b>Прошедшие калибровки</b> (последние 10)
    { $items }
calibration-list-item = #{ $id } · { $date } · { $subject } · разброс { $spread }{ $flag }
calibration-list-empty = Прошедших калибровок пока нет.

## Диалог запуска (/calibrate).

calibration-ask-subject =
    🎯 <b>Слепая калибровка</b>
    Напишите номер кейса (например, 12) — или ссылку на запись звонка, тогда следом выберите категорию.
calibration-ask-category =
    Запись: { $link }
    Выберите категорию ошибки.
calibration-ask-participants =
    Выберите участников — не меньше { $min }. Сейчас выбрано: { $count }.
calibration-ask-deadline =
    Выберите день срока: голоса принимаются до 18:00 этого дня.
calibration-review =
    <b>Проверьте калибровку</b>
    Оцениваем: { $subject }
    Участники: { $names }
    Срок: до { $deadline }
calibration-btn-start = 🚀 Запустить
calibration-btn-next = Далее ▶
calibration-started =
    🎯 Калибровка #{ $id } запущена: приглашения отправлены участникам ({ $count }). Итоги придут в группу КС, когда проголосуют все или в { $deadline }.
calibration-hint-subject = Напишите номер кейса цифрами или ссылку на запись (https://…).
calibration-hint-buttons = Выберите вариант кнопкой под сообщением.

## Диалог голосования.

calibration-ask-verdict =
    🎯 <b>Калибровка #{ $id }</b>: { $subject }
    Ваш вердикт?
calibration-btn-confirmed = Ошибка подтверждена
calibration-btn-no-error = Ошибки нет
calibration-btn-partly = Частично
calibration-ask-score = Ваша оценка — целое число от 0 до 100.
calibration-ask-comment = Комментарий к оценке (до 1000 символов) — или «Пропустить».
calibration-vote-review =
    <b>Проверьте оценку по калибровке #{ $id }</b>
    Вердикт: { $verdict }
    Оценка: { $score }
    Комментарий: { $comment }
calibration-btn-send = Отправить
calibration-vote-opened = Продолжите в личном чате с ботом.

## Ошибки.

calibration-error-cs-only = Калибровку запускает и смотрит только клиентский сервис.
calibration-error-case = Кейс #{ $id } не найден. Проверьте номер.
calibration-error-link = Нужна ссылка на запись вида https://… (до 1000 символов).
calibration-error-subject = Укажите кейс или ссылку на запись с категорией.
calibration-error-participant = Этого участника нельзя пригласить: он не из КС и не руководитель, неактивен или не писал боту.
calibration-error-participants = Выберите не меньше { $min } участников.
calibration-error-deadline = Срок должен быть в будущем: выберите день позже.
calibration-error-score = Оценка — целое число от 0 до 100, например 85.
calibration-error-comment = Комментарий длиннее { $max } символов — сократите его.
calibration-error-missing = Калибровка #{ $id } не найдена.
calibration-error-not-participant = Вы не участник калибровки #{ $id }: оценить её нельзя.
calibration-error-voted = Вы уже оценили калибровку #{ $id }: второй голос не принимается.
calibration-error-closed = Калибровка #{ $id } уже завершена: голоса больше не принимаются.
cmd-calibrate = Слепая калибровка: запустить или посмотреть прошедшие
