## Импорт списка сотрудников.

roster-line = строка { $line }: { $reason }
roster-file-error = { $reason }
roster-rejected = Файл не импортирован: { $count } ошибок. Ничего не изменено.
roster-imported = Список импортирован: новых { $created }, обновлено { $updated }, без изменений { $unchanged }, новых групп { $groups }.

roster-error-format = файл «{ $name }» не CSV и не XLSX
roster-error-unreadable = файл не читается как XLSX ({ $error })
roster-error-empty = файл пуст
roster-error-columns = нет столбцов: { $columns } (нужны full_name, role, group, position, telegram_id, username)
roster-error-no-name = не указано ФИО (full_name)
roster-error-long-name = ФИО длиннее { $max } символов
roster-error-role = неизвестная роль «{ $role }» (ожидается cs, lead или manager)
roster-error-no-group = у лидера и менеджера должна быть рабочая группа (group)
roster-error-manager-groups = у менеджера может быть только одна группа
roster-error-long-group = название группы длиннее { $max } символов
roster-error-telegram-id = telegram_id «{ $value }» — не число
roster-error-username = username «{ $value }» не похож на имя в Telegram (5–32 символа: латиница, цифры, _)
roster-error-duplicate = повторяет сотрудника из строки { $other }
roster-error-same-employee = описывает того же сотрудника, что и другая строка файла
roster-error-taken = telegram_id или username уже принадлежит сотруднику «{ $name }»
