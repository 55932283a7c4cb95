## /import: команда КС загружает итоги месяца или общую таблицу кейсов (issue 5, п. 1 и 6).

import-ask =
    <b>Загрузка файла</b>
    Пришлите файл документом — XLSX или CSV, до { $max } МБ.

    <b>Итоги месяца</b>: таблица со столбцами «месяц» (2026-10, 10.2026 или дата), «группа», «оценка» (в %, например 87,5), «оценок» (сколько оценок) и, если итоги по менеджерам, «менеджер». Месяцы из файла заменят загруженные раньше.

    <b>Таблица кейсов</b>: XLSX с листами «Кейсы», «Зоны роста», «CSI» (хотя бы один) и столбцами «дата», «менеджер», «категория», «источник», «суть», «ссылка» (не обязательно). Новые строки станут кейсами и будут опубликованы, уже загруженные — пропущены.

    /cancel — выйти.
import-refused = Загружать итоги и таблицу кейсов может только команда клиентского сервиса.
import-file-only = Пришлите файл документом: XLSX или CSV. /cancel — выйти.
import-too-big = Файл «{ $name }» больше { $max } МБ — такой бот скачать не может. Разделите его на части.
import-wrong-kind = «{ $name }» — не XLSX и не CSV. Пришлите таблицу в одном из этих форматов.
import-download-failed = Не удалось скачать файл, пришлите его ещё раз.
import-busy = Файл «{ $name }» получен, проверяю…
import-try-again = Пришлите исправленный файл или /cancel, чтобы выйти.

## Сообщение о загрузке меняется по ходу большой загрузки.
import-progress-check = Проверяю строки: { $done } из { $total }…
import-progress-publish = Публикую кейсы: { $done } из { $total }…

## Итоги месяца.
import-results-done = ✅ Итоги загружены: { $rows } { $rows ->
    [one] строка
    [few] строки
   *[other] строк
} за { $months } { $months ->
    [one] месяц
    [few] месяца
   *[other] месяцев
}.
import-results-month-new = Итоги за { $month } загружены: { $rows } { $rows ->
    [one] строка
    [few] строки
   *[other] строк
}.
import-results-month-replaced = Итоги за { $month } заменены: было { $before } { $before ->
    [one] строка
    [few] строки
   *[other] строк
}, стало { $rows }.
import-more-months = …и ещё месяцев: { $count }.
import-results-rejected = ❌ Итоги не загружены, ничего не изменено. Ошибок: { $count }.

## Таблица кейсов.
import-workbook-done = ✅ Таблица кейсов загружена: новых кейсов — { $new } (опубликованы в группе, лидерам и менеджерам), пропущено уже загруженных строк — { $skipped }.
import-workbook-nothing-new = Новых кейсов нет: все строки ({ $skipped }) уже были загружены раньше. Ничего не опубликовано.
import-workbook-rejected = ❌ Кейсы не загружены, ничего не опубликовано. Строк с ошибками — { $rejected }, новых — { $new }, уже загруженных — { $skipped }.

## Строки с ошибками.
import-line = Строка { $line }: { $reason }
import-sheet-line = Лист «{ $sheet }», строка { $line }: { $reason }
import-more-errors = …и ещё ошибок: { $count }.

import-error-format = файл «{ $name }» не XLSX и не CSV
import-error-unreadable = файл не читается ({ $error })
import-error-empty = в файле нет ни одной строки с данными
import-error-no-sheets = в файле нет листов «Кейсы», «Зоны роста» или «CSI»
import-error-columns = нет столбцов: { $columns }
import-error-month = не понял месяц «{ $value }»: нужен вид 2026-10, 10.2026 или дата
import-error-no-group = не указана рабочая группа
import-error-group = нет такой рабочей группы: «{ $name }»
import-error-manager = нет такого сотрудника в списке: «{ $name }»
import-error-manager-inactive = { $name } больше не работает (неактивен в списке сотрудников) — кейс на него не завести, уберите строку
import-error-manager-ambiguous = в списке несколько сотрудников с именем «{ $name }» ({ $count }) — не понять, о ком строка
import-error-manager-group = { $name } не в группе «{ $group }»
import-error-manager-no-group = у сотрудника { $name } нет рабочей группы
import-error-score = оценка «{ $value }» — нужен процент от 0 до 100, например 87,5
import-error-evaluations = число оценок «{ $value }» — нужно целое число от 1
import-error-duplicate = повторяет строку { $other } (тот же месяц, группа и менеджер)
import-error-mixed = у группы «{ $group }» за { $month } и общая строка, и строки по менеджерам (строка { $other }): оставьте что-то одно
import-error-date = не понял дату «{ $value }»: нужен вид 12.10.2026
import-error-date-future = дата { $value } ещё не наступила
import-error-no-manager = не указан менеджер
import-error-category = неизвестная категория «{ $value }»: нужна «Ошибка в коммуникации» или «Ошибка в процессе»
import-error-source = неизвестный источник «{ $value }»: нужен онлайн-встреча, исходящий звонок, обращение или CSI
import-error-summary-empty = не заполнена суть ошибки
import-error-summary-long = суть длиннее { $max } символов ({ $length })
import-error-link = ссылка «{ $value }» не похожа на адрес https://…
