"""Everyday words, per language: words a help article may use, but that alone never make its topic.

"what year did the game come out", "add me as a friend", "how many people play this": each shares
words with an article ("year" with the age article, "friend" with trading, "play" with many), and
none of them is about what an article answers. A message whose words in common with an article
are all everyday ones is a coincidence, not a topic: the confidence counts how much of what an
article matched is more than that (`engine.knowledge.lexical.Match.specific`).

Everyday talk in a game's community: the game, playing it, the phone, the account, friends,
people, time (day, week, year), buying, good and new. Not stop words: they still rank articles
(with "crash", "open" helps), and an article whose topic they are ("time" for a schedule) is
still found when the message says more. Written without accents, like the stop words.
"""

from __future__ import annotations

from engine.knowledge.stopwords import word_lists

_ENGLISH = """
    game games gaming play plays playing played player players app apps phone phones account accounts
    acc new old good best better bad cool fun first last next other same own whole
    day days today tonight tomorrow yesterday morning night week weeks weekend month months year years
    time times hour hours minute minutes people person everyone everybody friend friends buddy buddies
    add join buy buying bought sell get give take find change show start end open close stop
    rule rules explain ask question questions answer talk say think love hate like
    server discord channel chat role mod mods admin staff team member members group
    thing place way part lot bit kind type number price money
"""

_SPANISH = """
    juego juegos jugar juega juegan jugando jugador jugadores app aplicacion movil celular telefono
    cuenta nuevo nueva viejo bueno buena mejor malo primero ultimo siguiente otro mismo
    dia dias hoy manana ayer noche semana finde mes meses ano anos tiempo hora horas minuto
    gente persona personas amigo amiga amigos amigas comprar compro compra vender dar cambiar
    regla reglas explicar pregunta preguntas hablar decir pensar gustar encantar
    servidor discord canal chat rol grupo equipo cosa lugar forma parte precio dinero
"""

_PORTUGUESE = """
    jogo jogos jogar joga jogam jogando jogador jogadores app aplicativo celular telefone conta
    novo nova velho bom boa melhor ruim primeiro ultimo proximo outro mesmo
    dia dias hoje amanha ontem noite semana mes meses ano anos tempo hora horas minuto
    pessoa pessoas amigo amiga amigos amigas comprar compra vender dar trocar
    regra regras explicar pergunta perguntas falar dizer pensar gostar amar
    servidor discord canal chat cargo grupo time equipe lugar forma parte preco dinheiro
"""

_FRENCH = """
    jeu jeux jouer joue jouent joueur joueurs appli application telephone portable compte
    nouveau nouvelle vieux bon bonne meilleur mauvais premier dernier prochain autre meme
    jour jours aujourd'hui aujourdhui demain hier soir matin semaine mois an ans annee annees temps heure
    heures minute personne personnes ami amie amis amies pote potes acheter achete vendre donner changer
    regle regles expliquer question questions parler dire penser aimer adorer
    serveur discord salon chat role groupe equipe chose endroit facon partie prix argent serie
"""

_HINDI = """
    गेम गेम्स खेल खेलना खेलते खेलता खेलती खेलने ऐप फ़ोन फोन मोबाइल अकाउंट खाता
    नया नई नए पुराना अच्छा अच्छी अच्छे बढ़िया सबसे पहला आखिरी अगला दूसरा
    दिन आज कल रात सुबह हफ्ता हफ़्ता महीना साल समय घंटा मिनट
    लोग लोगों दोस्त दोस्तों ख़रीद खरीद ख़रीदना खरीदना बेचना देना बदलना
    नियम सवाल जवाब बात बोलो सोचो पसंद प्यार देख देखें देखना देखो
    सर्वर डिस्कॉर्ड चैनल चैट ग्रुप टीम चीज़ चीज जगह तरीका पैसे फ़िल्म फिल्म
    game khel khelna phone mobile account naya accha acha din aaj kal raat saal samay log dost
"""

_TAGALOG = """
    laro laruin maglaro naglalaro app phone cellphone cp account
    bago luma maganda magandang mas una huli susunod iba pareho
    araw ngayon bukas kahapon gabi umaga linggo buwan taon oras minuto
    tao mga tao kaibigan tropa barkada bili bumili bilhin benta bigay palit
    patakaran tanong sagot usap sabi isip mahal
    server discord channel chat grupo team bagay lugar paraan presyo pera
"""

EVERYDAY_WORDS = word_lists(en=_ENGLISH, es=_SPANISH, pt=_PORTUGUESE, fr=_FRENCH, hi=_HINDI, tl=_TAGALOG)
"""Language code -> its everyday words (a language without a list has none)."""
