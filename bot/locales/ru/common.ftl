## Общие тексты: роли, команды, ошибки.

role-cs = сотрудник клиентского сервиса
role-lead = лидер рабочей группы
role-manager = менеджер

cmd-start = Начать работу
cmd-help = Что умеет бот
cmd-standards = Стандарты, результаты, инструкции
cmd-links = Изменить ссылки /standards
cmd-cancel = Выйти из текущего диалога
cmd-case = Зарегистрировать кейс
cmd-cases = Кейсы: список и поиск

btn-back = ◀ Назад
btn-close = Закрыть
btn-cancel = Отмена
btn-skip = Пропустить
btn-save = Сохранить

error-forbidden = Это действие вам недоступно.
error-already-done = Уже сделано.
error-not-found = Не найдено: возможно, запись уже удалена.
error-stale-button = Кнопка устарела или недоступна вам.
error-command-role = Команда /{ $command } вам недоступна. Список ваших команд — /help.
error-unknown-command = Не знаю такой команды. Список команд — /help.
error-internal = Что-то пошло не так. Попробуйте ещё раз; если ошибка повторится, напишите команде клиентского сервиса.
not-understood = Не понял сообщение. Список команд — /help.

cancelled = Диалог закрыт, ничего не сохранено.
nothing-to-cancel = Сейчас нет открытого диалога.

employee-card = <b>{ $name }</b> — { $role }
employee-card-groups = Группы: { $groups }
employee-card-position = Должность: { $position }
