## /standards и /links.

standards =
    📌 <b>Стандарты работы, результаты, инструкции</b>
    Ссылки на рабочие файлы — всегда под рукой.

    { $lines }
standards-line = • { $title }{ $note } — обновлено { $updated }
standards-line-mail = • { $title }: { $address }
standards-empty = Ссылок пока нет.

links-list =
    <b>Ссылки /standards</b>
    Выберите ссылку, чтобы изменить или удалить её, или добавьте новую.
links-card =
    <b>{ $title }</b>
    Адрес: { $url }
    Пометка: { $note }
    Изменена: { $updated }
links-ask-title = Введите название ссылки (до { $max } символов).
links-ask-url = Введите адрес: https://…, tg://… или mailto:почта@домен.
links-ask-note = Введите пометку, например «за октябрь 2026» (до { $max } символов), или нажмите «Пропустить».
links-ask-field = Новое значение поля «{ $field }». Сейчас: { $current }
links-review =
    <b>Новая ссылка</b>
    Название: { $title }
    Адрес: { $url }
    Пометка: { $note }
links-confirm-delete = Удалить ссылку «{ $title }»? Она исчезнет из /standards.
links-saved = Сохранено.
links-deleted = Ссылка «{ $title }» удалена.
links-field-title = Название
links-field-url = Адрес
links-field-note = Пометка
links-no-note = —

btn-links-add = ➕ Добавить ссылку
btn-links-edit-title = Изменить название
btn-links-edit-url = Изменить адрес
btn-links-edit-note = Изменить пометку
btn-links-delete = 🗑 Удалить
btn-links-delete-yes = Да, удалить

links-error-title-empty = Название не может быть пустым. Введите название.
links-error-title-long = Название длиннее { $max } символов. Введите покороче.
links-error-url = Это не адрес. Введите ссылку вида https://example.com/… (или tg://…, mailto:почта@домен).
links-error-note-long = Пометка длиннее { $max } символов. Введите покороче.
links-error-gone = Эта ссылка уже удалена.
links-error-text-only = Пришлите текст.
