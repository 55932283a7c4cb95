## Человек, которому бот не может написать (Telegram отвечает 403).

unreachable-post =
    📵 <b>Не удаётся доставить сообщения</b>
    Кому: { $who }
    Не доставлено: { $missing }
    Бот не может написать первым, пока человек не откроет бота (или не разблокирует его).
    Попросите его открыть бота и нажать «Старт» — всё, что ждёт, придёт сразу.
unreachable-post-resolved =
    ✅ <b>Сообщения доставлены</b>
    Кому: { $who }
    { $date } бот снова может писать, ожидавшие сообщения отправлены: { $count }.
unreachable-who = { $name } — { $role }
unreachable-who-groups = { $name } — { $role }, { $groups }
unreachable-who-stranger = пользователь не из списка сотрудников (ID { $id })
unreachable-username = , @{ $username }
unreachable-more = и ещё { $count }

unreachable-what-case = кейс #{ $id }
unreachable-what-case-file = вложение к кейсу #{ $id }
unreachable-what-case-reminder = напоминание по кейсу #{ $id }
unreachable-what-case-analysis = разбор по кейсу #{ $id }
unreachable-what-appeal = апелляция #{ $id }
unreachable-what-appeal-decision = решение по апелляции #{ $id }
unreachable-what-appeal-file = вложение к апелляции #{ $id }
unreachable-what-appeal-reminder = напоминание по апелляции #{ $id }
unreachable-what-request = запрос З-{ $id }
unreachable-what-request-reminder = напоминание по запросу З-{ $id }
unreachable-what-meeting = приглашение на встречу
unreachable-what-meeting-reminder = напоминание о встрече
unreachable-what-file = файл

unreachable-waiting =
    📬 Пока бот не мог вам написать, для вас { $count ->
        [1] накопилось одно сообщение. Присылаю его ниже.
        [one] накопилось { $count } сообщение. Присылаю их ниже, по порядку.
        [few] накопилось { $count } сообщения. Присылаю их ниже, по порядку.
       *[other] накопилось { $count } сообщений. Присылаю их ниже, по порядку.
    }
unreachable-waiting-cut =
    📬 Пока бот не мог вам написать, для вас накопилось { $total } { $total ->
        [one] сообщение
        [few] сообщения
       *[other] сообщений
    }. Присылаю последние { $count } ниже, по порядку; ещё { $more } более ранних не пришлю — ваши кейсы есть в /cases, апелляции и запросы — в /my.
