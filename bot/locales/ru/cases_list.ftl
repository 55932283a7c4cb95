## /cases и /case 123: список кейсов с фильтрами и карточка кейса с историей.
## Названия статусов и категорий — в cases.ftl (case-state-*, case-category-*).

cases-list-title = <b>Кейсы</b> — { $filter }
cases-list-filter = { $state } · { $category }
cases-list-counts = Всего: { $total } · стр. { $page } из { $pages }
cases-list-hint = Нажмите на кейс, чтобы открыть карточку с историей.
cases-list-empty = Кейсов по этому фильтру нет. Выберите другой статус или категорию кнопками ниже.

# A button: #12 · Иван Петров · в работе · 20.11
cases-list-row = #{ $id } · { $manager } · { $state } · { $date }

cases-list-state-open = открытые
cases-list-state-all = все статусы
cases-list-state-one = статус «{ $state }»
cases-list-category-any = все категории

cases-list-btn-state = Статус: { $current }
cases-list-btn-category = Категория: { $current }
cases-list-btn-prev = ◀
cases-list-btn-next = ▶

cases-list-choose-state = Какие кейсы показать?
cases-list-choose-category = Кейсы какой категории показать?
cases-list-option-open = Открытые
cases-list-option-all = Все
cases-list-option-any-category = Все категории
cases-list-option-checked = ✓ { $label }

cases-list-history-title = <b>История</b>
cases-list-history-created = { $when } · { $who }: зарегистрирован — { $new }
cases-list-history-change = { $when } · { $who }: { $old } → { $new }
cases-list-history-other = { $when } · { $who }: { $action }
cases-list-history-comment = { $line } — «{ $comment }»
cases-list-history-empty = Записей пока нет.
cases-list-history-more = … и ещё { $count } более ранних записей
cases-list-history-bot = бот
cases-list-card-cut = { " " }(полностью — /case { $id })
cases-list-card-cut-file = { " " }(полный текст — в файле ниже)
cases-list-card-file = Кейс #{ $id } полностью: описание, разбор и вся история.
cases-list-action-other = запись
cases-list-action-note = заметка
cases-list-action-post = публикация
cases-list-action-edit = изменение
