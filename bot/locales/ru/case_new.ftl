## /case: сотрудник КС регистрирует кейс в пошаговом диалоге.
## Названия вкладок, категорий и источников — в cases.ftl (case-tab-*, case-category-*, case-source-*).

case-new-heading-person = <b>Новый кейс</b> · шаг 1 из 8
case-new-ask-manager = Кого касается ошибка? Напишите часть имени или фамилии сотрудника.

case-new-ask-tab =
    <b>Новый кейс</b> · шаг 2 из 8
    Сотрудник: { $manager }
    Выберите вкладку.
case-new-ask-category =
    <b>Новый кейс</b> · шаг 3 из 8
    Выберите категорию ошибки.
case-new-ask-source =
    <b>Новый кейс</b> · шаг 4 из 8
    Откуда узнали об ошибке? Выберите источник.
case-new-choose-button = Выберите вариант кнопкой под сообщением.

case-new-ask-date =
    <b>Новый кейс</b> · шаг 5 из 8
    Когда это произошло? Выберите дату в календаре: сегодня или раньше.
case-new-choose-date = Выберите дату кнопкой в календаре под сообщением.

case-new-ask-summary =
    <b>Новый кейс</b> · шаг 6 из 8
    Опишите ошибку: что произошло и что было не так (до { $max } символов).
    Телефоны и e-mail клиентов в посте будут скрыты.
case-new-summary-text-only = Опишите ошибку текстом. Файлы можно будет добавить на шаге «Вложения».

case-new-ask-link =
    <b>Новый кейс</b> · шаг 7 из 8
    Пришлите ссылку на запись (https://…) или нажмите «Пропустить».
case-new-link-text-only = Пришлите ссылку текстом или нажмите «Пропустить».

case-new-ask-attachments =
    <b>Новый кейс</b> · шаг 8 из 8
    Пришлите файлы, если они нужны: фото, документы, аудио или голосовые — до { $max } штук. Когда всё добавлено, нажмите «Готово».
    Добавлено: { $attachments }
case-new-attachments-text-only = Здесь нужны файлы: фото, документ, аудио или голосовое. Текст добавьте в описание. Когда всё добавлено, нажмите «Готово».
case-new-attachments-full = Вложений уже { $max } — больше добавить нельзя. Нажмите «Готово».
case-new-caption-dropped = Файл добавлен, а подпись к нему в кейс не попадёт: если она важна, добавьте её в описание.
case-new-attachments-none = нет
case-new-attachments-list = { $count } ({ $items })
case-new-attachment-photo = фото
case-new-attachment-document = документ «{ $name }»
case-new-attachment-document-unnamed = документ
case-new-attachment-audio = аудио «{ $name }»
case-new-attachment-audio-unnamed = аудио
case-new-attachment-voice = голосовое

case-new-review =
    <b>Проверьте кейс перед публикацией</b>
    Сотрудник: { $manager } ({ $group })
    Вкладка: { $tab }
    Категория: { $category }
    Источник: { $source }
    Дата: { $date }
    Запись: { $link }
    Вложения: { $attachments }

    <b>Описание</b>
    { $summary }
case-new-review-masked = <i>В посте телефоны и e-mail клиентов будут скрыты.</i>
case-new-no-link = —

case-new-published = ✅ Кейс #{ $id } опубликован.

case-new-btn-done = Готово
case-new-btn-clear = Убрать все вложения
case-new-btn-publish = ✅ Опубликовать
case-new-btn-edit-manager = Изменить сотрудника
case-new-btn-edit-tab = Изменить вкладку
case-new-btn-edit-category = Изменить категорию
case-new-btn-edit-source = Изменить источник
case-new-btn-edit-date = Изменить дату
case-new-btn-edit-summary = Изменить описание
case-new-btn-edit-link = Изменить ссылку
case-new-btn-edit-attachments = Изменить вложения

## Календарь: названия месяцев и дней недели.
