"""How players describe a problem, per language, read as the words help articles use for it.

Players say what they see, not what it is called: "my phone is cooking", "it goes back to my home
screen", "some rando got into my acc", "the new version ate my stuff". These tables read such
descriptions as the support words for the same thing (overheating, crash, hacked password, lost
items after an update), so an article that never says "cooking" is still found.

Each line is `description | description = the articles' words`, lower case without accents:

- `PHRASES`: descriptions of one or more words, read as the words after `=` (they replace them).
- `WORDS`: single words (slang, chat spellings, everyday words), searched as themselves and, a
  little more weakly, as each word after `=`; the rest of the message decides which one fits.

General support language, not tied to one game or knowledge base; an article's own `questions:` are
where a community manager adds how players ask about its topic.
"""

from __future__ import annotations


def _table(text: str) -> dict[str, str]:
    """'a | b = x y' lines -> {'a': 'x y', 'b': 'x y'}."""
    table: dict[str, str] = {}
    for line in text.strip().splitlines():
        said, _, meant = line.rpartition("=")
        for description in said.split("|"):
            table[description.strip()] = meant.strip()
    return table


PHRASES: dict[str, dict[str, str]] = {
    "en": _table(
        """
        on fire | hand warmer = overheating
        full to empty | dies fast | dies so fast | phone dies | phone died = battery drain
        battery life | power bank | powerbank | portable charger = battery
        by itself | by himself | by herself | on its own | on his own | on her own = drift
        random directions | rubber band | rubber banding | standing still | sitting still = drift
        not moving | haven't moved | havent moved = drift
        wrong place | somewhere else | across the street = location drift
        snapping back | snaps back = drift jumps
        fake location | fake gps = spoofing
        home screen | homescreen | force close | force closes | force closing | won't even open = crash
        wont even open = crash
        goes black = black screen
        won't start | wont start | won't load | wont load | won't boot | wont boot = crash start
        won't launch | wont launch = crash launch
        taken over | took over | wasn't me | wasnt me | not me | got into my account = hacked
        got into my acc = hacked
        into my account = account
        log on | logon | sign on | log me out | logs me out | logging me out | throws me out = login
        kicks me back = login
        something went wrong = error
        not right | isn't right | isnt right | not correct | incorrect = wrong
        new character | start over | starting over | from scratch | never played before = brand-new account
        level 1 | level one = new empty account
        start screen | title screen | login screen = sign-in screen
        kick him off | kick her off | kick them off | kick him out | kick her out = lock out password
        kick them out = lock out password
        broke the rules | breaking the rules | against the rules | terms of service = ban
        locked my account | account locked = suspended
        closed for good = terminated
        new version | latest version | since updating = update
        ate my stuff | ate my items | took my stuff | took my items = lost items
        reset my progress = lost progress
        coming up = upcoming
        my stuff | all my stuff = my items
        years old | year old | yr old = age
        lil bro | lil sis | little brother | little sister | younger brother | younger sister = child
        screen time | all night = play time
        strangers | people they don't know | people they dont know | people he doesn't know = social chat
        people she doesn't know = social chat
        by mistake | by accident | get back what i spent | money back = refund
        took my money = charge
        don't remember making | dont remember making | didn't make | didnt make = don't recognise
        didn't go through | didnt go through | didnt go thru | didn't go thru = payment arrive
        paid for = purchase
        doesn't work | doesnt work | isn't working | not working = broken
        let the devs know | let the developers know | tell the devs | tell the developers = report bug
        tell the team = report
        who should know | who should i tell | who do i tell | who to tell = report
        i'd like if | id like if | would like if | if you could let us = feature
        would be awesome | would be sick | would be dope | be sick if | be dope if | great if = feature
        cool if | nice if | awesome if | would be great | would love | it'd be great = feature
        itd be great | it'd be nice | itd be nice | it'd be cool | i wish | pls add | plz add = feature
        should add | gets added | get added | be added | i'd like to see | id like to see = feature
        give my friend | send my friend | one of mine | one of theirs = trade
        """
    ),
    "es": _table(
        """
        echando humo | quema | me quema | arde = calienta
        se muere la bateria | se descarga = bateria
        se mueve solo = desvio
        pantalla de inicio | me echa | me saca = cierra
        mi dinero | sin querer | por error = reembolso
        """
    ),
    "pt": _table(
        """
        pegando fogo | fervendo | queimando = esquentando
        descarrega = bateria
        se mexe sozinho | anda sozinho = oscilando
        me expulsa | tela inicial = fecha
        meu dinheiro | sem querer | por engano = reembolso
        """
    ),
    "fr": _table(
        """
        brulant | bouillant | crame = chauffe
        se decharge = batterie
        bouge tout seul = derive
        ecran d'accueil | me vire = plante
        mon argent | sans faire expres | par erreur = remboursement
        """
    ),
    "tl": _table(
        """
        sobrang init | napapaso = mainit
        nalolowbat | lowbat = battery
        gumagalaw mag-isa = drift
        pera ko | hindi sinasadya = refund
        taong gulang = edad
        """
    ),
    "hi": _table(
        """
        बहुत गर्म | गर्म | जल रहा = गरम
        अपने आप = भटकना
        पैसे वापस | गलती से = रिफ़ंड
        साल का | साल की = उम्र
        """
    ),
}

WORDS: dict[str, dict[str, str]] = {
    "en": _table(
        """
        hott | toasty | boiling | cooking | cooked | roasting | melting | sizzling | scorching = overheating
        overheat | overheated | heating = overheating
        dies | dying = battery crash
        dead | charger = battery
        eats | eating | draining = drain
        teleport | teleports | zigzag | rubberbanding | zigzagging | wandering = drift
        jumps = drift jumps
        spoofed | spoofer = spoof
        poof | wallpaper | shuts | crashy | closed | closing = crash
        dips | dipped = crash
        percent = battery
        kiddo | kiddos = child
        randoms = strangers social
        chatting = chat
        recognize = recognise
        favorite = favourite
        favorites = favourites
        color = colour
        colors = colours
        booting = start
        spins | spinning | spinner = loading
        loop | loops | looping = login crash
        loads = load
        hack | hacking = password
        stolen | compromised = hacked
        rando = someone
        forgotten = forgot
        acc | acct = account
        logging | logon = login
        authentication = authenticate
        perma | permaban | permabanned = terminated ban
        shadowban | shadowbanned = warning ban
        violation | tos = ban
        foggy | faded | grey | gray | blurred = blurry
        striked = strike
        cdays = community
        prize | prizes = reward
        tasks | research = task
        spawn | spawns = raids
        yoinked | nuked | wiped | erased = lost
        fewer = missing
        potions | potion | loot | gear | consumables = items
        patched | updating | version = update
        nephew | niece | toddler | teen | teenager = child
        bedtime = play time
        billed | bill | payments = charge
        chargeback | reversed | reimburse = refund
        spent | scam | scammed = purchase
        ghosted = arrive
        buggy | glitchy | bugs = bug
        devs | developers | developer = team designers
        complain = report
        ideas = idea
        propose | proposal = suggestion
        designers = feature
        homie | bestie | bff | bf | gf | pal | mate = friend
        dust = stardust
        exchange = trade
        """
    ),
}
