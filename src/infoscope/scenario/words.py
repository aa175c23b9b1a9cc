"""Word lists of the scenario generator: common words and topic vocabularies per language.

Written for infoscope (no corpus was copied): everyday words of English, Russian and German,
grouped by the subjects that online communities talk about. Each topic has one list per
language; texts are drawn from them with Zipf-like frequencies (the first words of a list are
the most frequent), so a list's order matters: frequent, general words first, rarer and more
specific ones later. ``LOADED`` holds the emotionally loaded words that operation narratives
add to a topic's vocabulary (see `infoscope.scenario.text`).
"""

from __future__ import annotations

__all__ = []


def _w(text: str) -> tuple[str, ...]:
    """Whitespace-separated words as a tuple (duplicates removed, order kept)."""
    return tuple(dict.fromkeys(text.split()))


LANGUAGES: tuple[str, ...] = ("en", "ru", "de")

TOPICS: tuple[str, ...] = (
    "politics",
    "economy",
    "health",
    "sport",
    "tech",
    "culture",
    "climate",
    "daily",
)

COMMON: dict[str, tuple[str, ...]] = {
    "en": _w(
        """
        the to and a of is in it you that i for this on be are was with not have
        just so we they but my at all what like if this can about people from
        do get will no one your out me up more now how there when our new
        time think would know really today good who been their them than only
        because still why some even going see want very here back need make
        much also right those any these day way over every other said never
        yes well again then should could always after down first last great
        many most into off same while where each years thing things world
        life better best look real sure something nothing everyone anyone lot
        let keep feel said says tell told got made take give find call seems
        actually literally maybe probably already soon yet else enough pretty
        little big long old young whole part place week weeks month year
        love hate hope wish wait watch read heard saw believe mean trying
        thank thanks please sorry wow lol omg yeah ok okay hey guys folks
        someone somebody everybody nobody man woman kids family friends home
        work school money news story point fact question answer problem idea
        happy sad true false wrong crazy funny amazing awful terrible nice
        tonight tomorrow yesterday morning night weekend monday friday
        """
    ),
    "ru": _w(
        """
        и в не на что я с он как это а по но они к у мы вы все так же от
        за бы то его только она было уже из ты если или о когда даже вот
        там нет да ещё еще себя просто очень тоже может можно надо нужно
        чтобы кто где почему сейчас теперь всё всегда потом тут здесь были
        будет есть был была мне нас их них меня тебя этот эта эти того этого
        такой такие какой какие который которые сегодня завтра вчера день
        дня дней год года лет время раз людей люди человек жизнь мир дело
        дела слова слово вопрос ответ правда думаю знаю вижу хочу могу
        говорят сказал сказали пишут читал смотрю видел кажется конечно
        наверное вообще именно ладно хорошо плохо лучше хуже больше меньше
        много мало новый новые старый первый последний большой маленький
        хороший главное интересно странно смешно грустно страшно круто
        спасибо пожалуйста привет друзья друг семья дети дом работа деньги
        новости история проблема идея неделя месяц утро вечер ночь выходные
        понедельник пятница давно скоро опять снова ничего никто ничто
        каждый другой другие сам сама сами свой своих весь вся всех между
        через после перед без для про над под около против вместе
        """
    ),
    "de": _w(
        """
        die der und in zu den das nicht von sie ist des sich mit dem dass er
        es ein ich auf so eine auch als an nach wie im für man aber aus
        durch wenn nur war noch werden bei hat wir was wird sein einen
        welche sind oder zur um haben einer mir über ihm diese einem ihr
        uns da zum kann doch vor dieser mich ihn du hatte seine mehr am
        denn nun unter sehr selbst schon hier bis habe ihre dann ihnen
        seiner alle wieder meine zeit gegen vom ganz einzelnen wo muss
        ohne eines können sei heute morgen gestern jetzt immer nie gut
        schlecht besser wirklich einfach genau leider endlich bitte danke
        hallo leute freunde familie kinder arbeit geld haus woche jahr tag
        frage antwort problem idee welt leben menschen mensch ja nein
        vielleicht natürlich eigentlich bestimmt irgendwie total krass
        """
    ),
}

TOPIC_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "politics": {
        "en": _w(
            """
            government election vote president minister party senate congress
            campaign policy law bill debate candidate voters democracy state
            parliament leader opposition rally poll polls majority reform
            mayor governor court ruling supreme justice rights constitution
            protest protesters coalition budget spending immigration border
            security military sanctions treaty diplomacy embassy summit
            allies foreign domestic official officials administration cabinet
            scandal investigation hearing testimony committee lobby lobbyists
            donors ballot ballots turnout district primary nominee veto
            amendment federal local council referendum citizens public
            freedom speech press media journalists accountability transparency
            corruption bribery resignation impeachment approval rating
            conservative liberal progressive moderate left right center
            populist establishment incumbent challenger endorsement
            midterm swing delegates caucus filibuster partisan bipartisan
            statement spokesperson briefing agenda platform manifesto
            """
        ),
        "ru": _w(
            """
            власть выборы голосование президент министр партия депутаты
            госдума правительство закон законопроект дебаты кандидат
            избиратели демократия государство парламент лидер оппозиция
            митинг опрос большинство реформа мэр губернатор суд решение
            права конституция протест протестующие коалиция бюджет расходы
            миграция граница безопасность армия санкции договор дипломатия
            посольство саммит союзники внешняя внутренняя чиновник
            чиновники администрация кабмин скандал расследование слушания
            комиссия комитет лоббисты бюллетени явка округ кандидатура
            поправки федеральный местный совет референдум граждане
            общество свобода слова пресса журналисты подотчетность
            прозрачность коррупция взятка отставка рейтинг одобрения
            консерваторы либералы центристы популисты элита истеблишмент
            заявление пресс-секретарь брифинг повестка программа
            региональный муниципальный указ кремль администрации
            """
        ),
        "de": _w(
            """
            regierung wahl wahlen abstimmung kanzler minister partei bundestag
            gesetz debatte kandidat wähler demokratie staat parlament
            opposition umfrage mehrheit reform bürgermeister gericht urteil
            verfassung protest koalition haushalt migration grenze
            sicherheit bundeswehr sanktionen vertrag diplomatie gipfel
            verbündete beamte verwaltung skandal untersuchung ausschuss
            lobby stimmzettel wahlbeteiligung bezirk bürger öffentlichkeit
            pressefreiheit medien journalisten korruption rücktritt
            konservativ liberal grüne sozialdemokraten landtag ministerium
            """
        ),
    },
    "economy": {
        "en": _w(
            """
            economy prices inflation jobs market markets stocks rates bank
            banks interest mortgage rent wages salary salaries taxes tax
            growth recession unemployment workers business businesses
            company companies profits earnings investors investment shares
            dollar currency debt deficit trade tariffs exports imports
            supply demand costs cost energy fuel gas groceries housing
            loans credit savings pension retirement budget spending
            consumer consumers retail sales industry factory manufacturing
            startup startups ceo layoffs hiring strike union unions
            minimum wage bonus quarter forecast outlook analysts
            economists central reserve fed bonds yields crypto bitcoin
            commodities oil wheat shipping logistics supply-chain
            subsidies stimulus austerity bailout bankruptcy merger
            acquisition valuation ipo dividend portfolio landlord tenants
            """
        ),
        "ru": _w(
            """
            экономика цены инфляция работа рынок акции ставка банк банки
            ипотека аренда зарплата зарплаты налоги налог рост рецессия
            безработица рабочие бизнес компания компании прибыль
            инвесторы инвестиции доллар рубль валюта курс долг дефицит
            торговля пошлины экспорт импорт спрос предложение расходы
            энергия топливо бензин продукты жилье кредит кредиты
            сбережения пенсия пенсии потребители продажи промышленность
            завод производство стартап увольнения забастовка профсоюз
            премия квартал прогноз аналитики экономисты центробанк
            облигации доходность криптовалюта биткоин нефть газ пшеница
            логистика субсидии поддержка банкротство слияние дивиденды
            вклады накопления подорожание зарплаты тарифы коммуналка
            """
        ),
        "de": _w(
            """
            wirtschaft preise inflation arbeitsplätze markt aktien zinsen bank
            miete löhne gehalt steuern wachstum rezession arbeitslosigkeit
            unternehmen gewinne investoren euro schulden handel zölle export
            import nachfrage kosten energie benzin lebensmittel wohnungen
            kredit rente verbraucher industrie fabrik entlassungen streik
            gewerkschaft prognose ökonomen zentralbank anleihen krypto
            öl subventionen insolvenz übernahme dividende mieter vermieter
            """
        ),
    },
    "health": {
        "en": _w(
            """
            health doctor doctors hospital hospitals nurse nurses patients
            vaccine vaccines vaccination virus cases covid flu symptoms
            treatment medicine drug drugs pharmacy prescription insurance
            care clinic emergency surgery cancer heart disease diabetes
            mental therapy anxiety depression stress sleep diet exercise
            fitness nutrition vitamins immune research study trial trials
            scientists data outbreak pandemic epidemic mask masks testing
            test tests booster shots dose doses side effects risk risks
            children elderly recovery infection infections spread variant
            lockdown quarantine public-health cdc who guidelines advice
            wellness recovery rehab pain blood pressure cholesterol
            allergies asthma antibiotics dentist checkup screening
            """
        ),
        "ru": _w(
            """
            здоровье врач врачи больница больницы медсестра пациенты вакцина
            вакцины прививка прививки вирус случаи ковид грипп симптомы
            лечение лекарство лекарства аптека рецепт страховка поликлиника
            скорая операция рак сердце болезнь диабет психика терапия
            тревога депрессия стресс сон диета спорт питание витамины
            иммунитет исследование испытания ученые данные вспышка пандемия
            эпидемия маска маски тест тесты доза побочные риск дети
            пожилые выздоровление инфекция распространение штамм карантин
            минздрав рекомендации советы реабилитация давление холестерин
            аллергия астма антибиотики стоматолог обследование анализы
            """
        ),
        "de": _w(
            """
            gesundheit arzt ärzte krankenhaus pflege patienten impfung
            impfstoff virus fälle grippe symptome behandlung medikamente
            apotheke rezept krankenkasse notaufnahme operation krebs herz
            krankheit diabetes therapie angst depression stress schlaf
            ernährung sport vitamine studie forscher daten pandemie maske
            test tests dosis nebenwirkungen risiko kinder senioren infektion
            variante quarantäne empfehlungen blutdruck allergie zahnarzt
            """
        ),
    },
    "sport": {
        "en": _w(
            """
            game match team win won lose lost season league cup final goal
            goals score player players coach fans stadium championship
            tournament playoffs points victory defeat draw transfer signing
            contract injury injured bench starting lineup squad captain
            striker keeper defender midfield tactics referee penalty
            offside foul red yellow card extra time overtime half kickoff
            derby rivals table standings relegation promotion title medal
            olympics race runner marathon tennis basketball football soccer
            hockey baseball boxing fight round knockout champion record
            training practice workout comeback upset streak highlights
            """
        ),
        "ru": _w(
            """
            матч игра команда победа поражение выиграли проиграли сезон
            лига кубок финал гол голы счет игрок игроки тренер болельщики
            стадион чемпионат турнир плей-офф очки ничья трансфер контракт
            травма состав капитан нападающий вратарь защитник полузащита
            тактика судья пенальти офсайд фол карточка удаление овертайм
            тайм дерби соперники таблица вылет чемпион медаль олимпиада
            забег марафон теннис баскетбол футбол хоккей бокс бой раунд
            нокаут рекорд тренировка сборная форма серия болеем
            """
        ),
        "de": _w(
            """
            spiel mannschaft sieg niederlage gewonnen verloren saison liga
            pokal finale tor tore spieler trainer fans stadion meisterschaft
            turnier punkte unentschieden transfer vertrag verletzung kader
            kapitän stürmer torwart verteidiger taktik schiedsrichter
            elfmeter abseits foul karte verlängerung halbzeit derby tabelle
            abstieg aufstieg meister medaille olympia marathon tennis
            basketball fußball eishockey boxen rekord training bundesliga
            """
        ),
    },
    "tech": {
        "en": _w(
            """
            app apps phone update software hardware data privacy security
            hack hackers breach password account accounts platform
            platforms ai model models chatbot algorithm algorithms code
            coding developer developers open-source release bug bugs
            feature features launch startup cloud server servers network
            internet wifi battery chip chips laptop computer screen camera
            google apple microsoft amazon meta twitter social media users
            online website browser download streaming video gaming games
            console robot robots automation crypto blockchain encryption
            outage downtime api beta version upgrade patch vulnerability
            smartphone tablet gadget review specs benchmark performance
            """
        ),
        "ru": _w(
            """
            приложение телефон обновление софт железо данные приватность
            безопасность взлом хакеры утечка пароль аккаунт платформа
            нейросеть модель чатбот алгоритм код разработчик разработчики
            релиз баг баги функция запуск стартап облако сервер сеть
            интернет вайфай батарея чип ноутбук компьютер экран камера
            яндекс телеграм соцсети пользователи сайт браузер скачать
            стриминг видео игры консоль робот автоматизация блокчейн
            шифрование сбой бета версия патч уязвимость смартфон гаджет
            обзор характеристики производительность импортозамещение
            """
        ),
        "de": _w(
            """
            app handy update software hardware daten datenschutz sicherheit
            hack passwort konto plattform ki modell algorithmus entwickler
            version fehler funktion start startup cloud server netz
            internet wlan akku chip laptop computer bildschirm kamera
            nutzer webseite browser download streaming video spiele konsole
            roboter automatisierung verschlüsselung ausfall smartphone test
            """
        ),
    },
    "culture": {
        "en": _w(
            """
            movie movies film films music song songs album concert tour
            band singer artist artists show series episode season finale
            book books novel author writer poetry art gallery museum
            theatre theater festival premiere trailer review reviews
            actor actress director cast oscars awards nominated streaming
            netflix playlist vinyl lyrics guitar drums dance fashion
            photography painting exhibition culture history classic
            comedy drama horror documentary anime comic comics fandom
            celebrity interview podcast radio sequel remake soundtrack
            """
        ),
        "ru": _w(
            """
            фильм фильмы кино музыка песня песни альбом концерт тур группа
            певец певица артист сериал серия сезон книга книги роман автор
            писатель стихи искусство галерея музей театр фестиваль
            премьера трейлер рецензия актер актриса режиссер премия
            плейлист пластинка текст гитара танцы мода фотография
            живопись выставка культура история классика комедия драма
            ужасы документалка аниме комиксы фанаты звезда интервью
            подкаст радио сиквел саундтрек спектакль балет опера
            """
        ),
        "de": _w(
            """
            film filme kino musik lied lieder album konzert tour band
            sängerin künstler serie folge staffel buch bücher roman autor
            gedichte kunst galerie museum theater festival premiere trailer
            kritik schauspieler regisseur preis playlist gitarre tanz mode
            fotografie ausstellung kultur geschichte komödie drama
            dokumentation interview podcast radio oper ballett
            """
        ),
    },
    "climate": {
        "en": _w(
            """
            climate weather heat heatwave temperature temperatures warming
            emissions carbon co2 fossil fuels coal oil gas renewable
            renewables solar wind energy electricity grid power storm
            storms hurricane flood floods flooding drought wildfire
            wildfires smoke air pollution quality environment nature
            forest forests ocean oceans sea ice glacier arctic species
            wildlife biodiversity recycling plastic waste green transition
            electric vehicles ev cars transport trains cycling targets
            summit agreement net-zero activists protest scientists report
            forecast rain snow winter summer record hottest drought
            """
        ),
        "ru": _w(
            """
            климат погода жара температура потепление выбросы углерод уголь
            нефть газ возобновляемая энергетика солнечная ветряная
            электричество шторм ураган наводнение засуха пожары лесные
            дым воздух загрязнение экология природа лес океан море лед
            ледники арктика виды животные переработка пластик мусор
            зеленая электромобили транспорт поезда велосипед цели саммит
            соглашение активисты ученые доклад прогноз дождь снег зима
            лето рекорд аномальная
            """
        ),
        "de": _w(
            """
            klima wetter hitze hitzewelle temperatur erwärmung emissionen
            kohle öl gas erneuerbare solar windkraft energie strom sturm
            hochwasser überschwemmung dürre waldbrand luft verschmutzung
            umwelt natur wald meer eis gletscher arten recycling plastik
            müll grün energiewende elektroautos verkehr bahn fahrrad
            klimaziele gipfel aktivisten wissenschaftler bericht regen
            schnee winter sommer rekord
            """
        ),
    },
    "daily": {
        "en": _w(
            """
            coffee breakfast lunch dinner food pizza cooking recipe kitchen
            dog dogs cat cats pet walk park city traffic bus train commute
            rain sunny weather weekend holiday vacation trip travel beach
            birthday party wedding baby kids mom dad sister brother friend
            neighbors shopping store sale clothes shoes garden flowers
            morning coffee tea cake dessert gym run running yoga sleep
            tired bored excited moving apartment house cleaning laundry
            movie night game night sunset photo selfie vibes mood monday
            """
        ),
        "ru": _w(
            """
            кофе завтрак обед ужин еда пицца готовка рецепт кухня собака
            кот кошка питомец прогулка парк город пробки автобус метро
            электричка дождь солнце погода выходные отпуск поездка море
            пляж день-рождения праздник свадьба малыш мама папа сестра брат
            подруга соседи магазин скидки одежда обувь дача огород цветы
            чай торт десерт спортзал пробежка йога сон устал скучно
            переезд квартира уборка стирка закат фото селфи настроение
            """
        ),
        "de": _w(
            """
            kaffee frühstück mittagessen abendessen essen pizza kochen
            rezept küche hund katze spaziergang park stadt stau bus zug
            regen sonne wochenende urlaub reise strand geburtstag party
            hochzeit baby mama papa schwester bruder nachbarn einkaufen
            kleidung schuhe garten blumen tee kuchen fitness joggen yoga
            müde umzug wohnung putzen wäsche sonnenuntergang foto laune
            """
        ),
    },
}

# Emotionally loaded words that operation narratives add to a topic (absent from TOPIC_WORDS).
LOADED: dict[str, tuple[str, ...]] = {
    "en": _w(
        """
        traitors betrayal puppet puppets regime globalists elites cover-up
        hoax rigged lies liars propaganda censorship censored sellout
        collapse invasion corrupt exposed wake-up sheep mainstream agenda
        tyranny puppetmasters shameful disgrace outrage cowards enemy
        enemies threat destroy destroyed failed failing weak surrender
        chaos crisis collapse hypocrites silenced banned whistleblower
        leaked truth-bombs patriots resist uprising reckoning
        """
    ),
    "ru": _w(
        """
        предатели предательство марионетки режим глобалисты элиты
        заговор фейк подделка ложь лжецы пропаганда цензура продались
        крах вторжение коррупционеры разоблачение проснитесь стадо
        мейнстрим тирания кукловоды позор позорище возмущение трусы
        враг враги угроза уничтожить провал слабость капитуляция хаос
        кризис лицемеры заткнули запретили слив правда-матка патриоты
        сопротивление расплата русофобия нацисты хунта западники
        """
    ),
    "de": _w(
        """
        verräter verrat marionetten regime globalisten eliten vertuschung
        lügen lügner propaganda zensur ausverkauf zusammenbruch invasion
        korrupt entlarvt aufwachen schafe mainstream tyrannei schande
        empörung feiglinge feind bedrohung versagen chaos krise heuchler
        mundtot verboten whistleblower patrioten widerstand abrechnung
        """
    ),
}

# Hashtags communities use when talking about a topic (organic; written without '#').
TOPIC_HASHTAGS: dict[str, dict[str, tuple[str, ...]]] = {
    "politics": {
        "en": _w("politics election vote breaking debate senate policy news democracy"),
        "ru": _w("политика выборы новости власть госдума дебаты мнение"),
        "de": _w("politik wahl bundestag nachrichten demokratie debatte"),
    },
    "economy": {
        "en": _w("economy inflation jobs markets stocks housing costofliving business"),
        "ru": _w("экономика инфляция цены рубль бизнес ипотека"),
        "de": _w("wirtschaft inflation preise börse mieten"),
    },
    "health": {
        "en": _w("health covid vaccine mentalhealth nhs healthcare fitness"),
        "ru": _w("здоровье ковид прививка медицина зож"),
        "de": _w("gesundheit corona impfung pflege"),
    },
    "sport": {
        "en": _w("football nba premierleague worldcup matchday soccer nfl"),
        "ru": _w("футбол хоккей кхл рпл сборная матч"),
        "de": _w("bundesliga fußball dfb sport"),
    },
    "tech": {
        "en": _w("tech ai privacy cybersecurity apple android gaming startup"),
        "ru": _w("технологии нейросети айти гаджеты игры"),
        "de": _w("technik ki datenschutz digital"),
    },
    "culture": {
        "en": _w("music nowplaying movies netflix books art newmusic oscars"),
        "ru": _w("музыка кино книги сериалы театр искусство"),
        "de": _w("musik kino bücher kunst serien"),
    },
    "climate": {
        "en": _w("climate climatechange netzero heatwave environment cop"),
        "ru": _w("климат экология погода природа"),
        "de": _w("klima klimaschutz umwelt hitze"),
    },
    "daily": {
        "en": _w("mondaymotivation coffee dogsoftwitter caturday weekend foodie"),
        "ru": _w("утро кофе котики выходные настроение"),
        "de": _w("kaffee wochenende hund montag"),
    },
}

FIRST_NAMES: dict[str, tuple[str, ...]] = {
    "en": _w(
        """
        james mary john patricia robert jennifer michael linda david sarah
        william jessica richard karen joseph nancy thomas lisa chris emily
        daniel ashley matt amanda mark megan paul rachel steve laura kevin
        emma brian olivia jason sophie ryan chloe eric hannah adam grace
        tyler lucy kyle amy sean kate nick jenn mike liz tom beth jake
        """
    ),
    "ru": _w(
        """
        александр елена дмитрий ольга сергей наталья андрей ирина алексей
        татьяна максим анна иван мария михаил светлана никита юлия артем
        екатерина павел марина владимир анастасия денис ксения игорь дарья
        олег алина евгений полина роман вера антон галина кирилл софья
        """
    ),
    "de": _w(
        """
        lukas anna leon lena finn marie jonas laura paul julia felix lea
        max sophie tim hannah jan mia niklas emma moritz sarah tobias lisa
        """
    ),
}

SURNAMES: dict[str, tuple[str, ...]] = {
    "en": _w(
        """
        smith johnson williams brown jones miller davis wilson anderson taylor
        thomas moore martin jackson white harris clark lewis walker hall allen
        young king wright scott green baker adams nelson hill campbell carter
        mitchell roberts turner phillips parker evans edwards collins stewart
        """
    ),
    "ru": _w(
        """
        иванов смирнова кузнецов попова васильев петрова соколов михайлова
        новиков федорова морозов волкова алексеев лебедева семенов егорова
        павлов козлова степанов николаева орлов андреева макаров захарова
        """
    ),
    "de": _w(
        """
        müller schmidt schneider fischer weber meyer wagner becker schulz
        hoffmann koch richter klein wolf schröder neumann schwarz zimmermann
        """
    ),
}

# Latin spellings of the Russian first names, for handles (Twitter handles are ASCII).
TRANSLIT: dict[str, str] = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss",
}  # fmt: skip

# Fragments of profile descriptions, per language.
BIO: dict[str, tuple[str, ...]] = {
    "en": (
        "Coffee first.",
        "Dog mom.",
        "Dad of three.",
        "Opinions are my own.",
        "Retired teacher.",
        "Nurse.",
        "Engineer.",
        "Student.",
        "Writer.",
        "Photographer.",
        "Lover of books.",
        "Runner.",
        "Gamer.",
        "Music nerd.",
        "Foodie.",
        "Proud veteran.",
        "Small business owner.",
        "Living my best life.",
        "RT ≠ endorsement.",
        "☕️📚",
        "Family. Faith. Football.",
        "Just here for the memes.",
        "News junkie.",
    ),
    "ru": (
        "Просто человек.",
        "Люблю кофе.",
        "Мама двоих детей.",
        "Инженер.",
        "Студентка.",
        "Пишу о жизни.",
        "Фотограф.",
        "Читаю книги.",
        "Бегаю по утрам.",
        "Геймер.",
        "Музыка — моя жизнь.",
        "Мнение автора.",
        "Репост ≠ согласие.",
        "Учитель.",
        "Врач.",
        "Из Сибири.",
        "☕️📚",
        "Живу и радуюсь.",
        "Новости и мысли.",
    ),
    "de": (
        "Kaffee zuerst.",
        "Hundemama.",
        "Ingenieur.",
        "Studentin.",
        "Fotograf.",
        "Leseratte.",
        "Läufer.",
        "Musik ist Leben.",
        "Meine Meinung.",
        "Lehrerin.",
        "☕️📚",
        "Einfach ich.",
    ),
}

# Words to build names of outlets and of their domains (news-front personas).
OUTLET_WORDS: tuple[str, ...] = _w(
    """
    daily herald insider report wire post times tribune dispatch chronicle
    observer sentinel voice review monitor bulletin gazette patriot freedom
    liberty truth real free independent people nation world global eagle
    frontier express today journal ledger digest beacon signal
    """
)
