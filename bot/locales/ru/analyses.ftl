## /analysis: сотрудник КС публикует разбор звонка в группе (DESIGN §7).

analysis-role-front = фронт
analysis-role-back = бэк
analysis-role-showing = по показам
analysis-role-sales = продажи

analysis-ask-role =
    <b>Разбор звонка</b> · шаг 1 из 5
    Чей звонок разбираем? Выберите роль менеджера.
analysis-choose-button = Выберите вариант кнопкой под сообщением.

analysis-heading-manager = <b>Разбор звонка</b> · шаг 2 из 5
analysis-ask-manager = Напишите часть имени или фамилии менеджера или нажмите «Пропустить».

analysis-ask-text =
    <b>Разбор звонка</b> · шаг 3 из 5
    Напишите разбор: что было хорошо, что нет и что улучшить (до { $max } символов).
    Телефоны и e-mail клиентов в посте будут скрыты.
analysis-text-only = Напишите разбор текстом. Запись звонка можно будет приложить на следующем шаге.

analysis-ask-file =
    <b>Разбор звонка</b> · шаг 4 из 5
    Пришлите запись звонка — аудио, голосовое или документ — или нажмите «Пропустить».
analysis-file-only = Здесь нужен файл: аудио, голосовое или документ. Или нажмите «Пропустить».
analysis-caption-dropped = Файл добавлен, а подпись к нему в пост не попадёт: если она важна, добавьте её в текст разбора.

analysis-ask-link =
    <b>Разбор звонка</b> · шаг 5 из 5
    Пришлите ссылку на запись или карточку (https://…) или нажмите «Пропустить».
analysis-link-text-only = Пришлите ссылку текстом или нажмите «Пропустить».

analysis-file-audio = аудио «{ $name }»
analysis-file-voice = голосовое
analysis-file-document = документ «{ $name }»
analysis-no-file = нет
analysis-no-link = —
analysis-no-manager = не указан

## Под шапкой поста и под «Проверьте разбор» — analysis-body, затем текст разбора.
analysis-body =
    Роль: { $role }
    Менеджер: { $manager }
    Запись: { $link }
analysis-review =
    <b>Проверьте разбор перед публикацией</b>
    Файл: { $file }
analysis-review-masked = <i>В посте телефоны и e-mail клиентов будут скрыты.</i>
analysis-post = <b>Разбор звонка #{ $id }</b> · { $author }, { $date }

analysis-published = ✅ Разбор #{ $id } опубликован в группе.

analysis-btn-publish = ✅ Опубликовать
analysis-btn-edit-role = Изменить роль
analysis-btn-edit-manager = Изменить менеджера
analysis-btn-edit-text = Изменить текст
analysis-btn-edit-file = Изменить файл
analysis-btn-edit-link = Изменить ссылку

analysis-error-text-empty = Разбор пустой: напишите текст.
analysis-error-text-long = Разбор длиннее { $max } символов (сейчас { $length }): сократите его.
analysis-error-link = Это не ссылка: нужен адрес вида https://… не длиннее { $max } символов.
analysis-error-role = Такой роли нет: выберите роль кнопкой.
analysis-error-file = Этот файл приложить нельзя: нужно аудио, голосовое или документ.
analysis-error-manager = Этого сотрудника больше нет в списке: выберите другого или пропустите шаг.

analysis-reminder =
    📞 В этом месяце ({ $month }) ещё не было разбора звонка. Команда /analysis — опубликовать разбор.
analysis-btn-open = Опубликовать разбор
