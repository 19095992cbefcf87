"""Words that say nothing about which article a player needs, per language (as players write them).

Function words, greetings, fillers and chat spellings ("pls", "vc", "q", "po"). Written without
accents, since players often leave them out and the search compares words without them.
"""

from __future__ import annotations

_ENGLISH = """
    a about above after again all am an and any are as at be been before being below between both but by
    can cannot could did do does doing done down during each else even ever every few for from further
    get gets getting got had has have having he her here hers him his how i if im in into is it its just
    me more most my myself no nor not now of off on once only or other our ours out over own same she
    should so some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would you your
    yours yourself ive dont cant wont didnt doesnt isnt wasnt anyone someone something anything thing
    things hi hello hey please pls plz thanks thank thx help need want wanna know tell still also really
    keep keeps ok okay guys yes yeah like don didn doesn isn wasn won couldn aren haven u ur r im ya
    yo sup lol lmao idk tbh bro dude man guy hmm umm uh um ppl anybody somebody pretty much kinda sorta
    gonna gotta whats hows wheres whys thats theres theyre youre ill id hes shes we re ve ll
    fr rn tf ngl wtf omg smh tho yall literally actually just way whens whys
    work works working worked use used using make made go goes going went come happen happens happened
    happening see look looking try tried trying stuff
    because cause cuz coz bc since anyway anyways though although sadly unfortunately honestly basically
    bruh af asf lowkey highkey deadass istg tryna finna lemme gimme nah yea yep ye ty tysm btw lmk imo
    ok ig idc fml pls plss plsss plz sooo soo nice cool awesome great wow yay sweet gg rip amazing
    wat wut wht dis dat dem dunno nvm kk gl prob probs thnx hmu wdym b4 wit wif bout abt cus tryin doin
    goin nothin somethin anythin tbf iirc afaik fyi jk ikr omw alot alright aight ight yah nope yup ah
    oh ooh uhh hm welp sigh ugh bros ma mah muh da teh whatever wats wuts wassup heyy hii helo gud gd
    rly realy srsly seriously plox halp hlp lmfao rofl xd haha hahaha hehe lel kek oof yikes dang damn
    frick heck hella mad super
"""

_SPANISH = """
    a al algo alguien alguno alguna algunos algunas ante antes aqui asi aun bien buenas buenos cada como
    con cual cuales cuando de del desde donde dos el ella ellas ellos en entre era eres es esa ese eso
    esta estaba estan estar este esto estoy fue gracias ha hace hacer han hay hola la las le les lo los
    me mas mi mis mismo mucho muy nada ni no nos nosotros o os otra otro para pero poco por porque pq
    que quien se ser si sin sobre solo son soy su sus tambien te tengo tiene tienen todo todos tu tus
    un una uno unos unas usted vez y ya yo porfa porfavor favor xfa xq q k ayuda ayudar alguien saludos
    oigan oye hey necesito quiero quisiera saber puedo puede pueden hago tenia tuve estoy estas esta
    juego eh bueno pues tipo onda jaja jajaja alguno oigan plis pls wey güey tio tia neta
    funciona funcionan hacer hago pasa paso cosa cosas
"""

_PORTUGUESE = """
    a ao aos aquele aquela aqui as ate com como da das de dela dele deles do dos e ela elas ele eles em
    entre era essa esse esta estao estar este estou eu foi for ha isso isto ja la lhe mais mas me meu
    meus minha minhas muito na nas nao nem no nos nossa nosso num numa o os ou para pela pelo pelos por
    porque pra pro qual quando que quem se sem ser seu seus sua suas so tambem te tem tenho ter tu tua
    um uma uns umas voce voces vc vcs ta to tá oi ola obrigado obrigada valeu vlw pfv pf favor ajuda
    alguem algum alguma gente galera mano cara tipo ne entao aí ai preciso quero queria saber posso pode
    consigo consegue jogo kkk kkkk rs funciona fazer faço acontece aconteceu coisa coisas
"""

_FRENCH = """
    a ai au aux avec ce ces cet cette dans de des du elle elles en est et etre eu il ils j je la le les
    leur leurs lui ma mais me mes moi mon ne nos notre nous on ou par pas pour qu que qui sa se ses son
    sur ta te tes toi ton tu un une vos votre vous y c d l m n s t ca ça cela ceci bonjour salut merci
    svp stp aide aidez quelqu quelqu'un quelque chose tout tous toute toutes tres bien est-ce comment
    monde gens marche fonctionne truc trucs
    faire fait veux voudrais peux peut dois besoin jeu ya y'a bah ben euh mdr lol alors donc aussi
"""

_HINDI = """
    का के की को में है हैं था थे थी हो होता होती होते हूँ हूं से पर और या भी तो ही यह ये वह वो इस
    उस इसे उसे इन उन क्या कैसे कब कहाँ कहां क्यों कौन कोई कुछ मैं मेरा मेरी मेरे मुझे हम हमारा हमें आप
    आपका आपकी आपके तुम तुम्हारा नहीं ना न जी हाँ हां कर करें करना करता करती करते किया कृपया प्लीज
    मदद चाहिए चाहता चाहती रहा रही रहे गया गई गए जा जाता जाती सकता सकती सकते अब लिए लिये एक
    भाई यार हेलो हैलो नमस्ते धन्यवाद बताओ बताइए बताएं गेम सी सा
    ka ke ki ko me mein hai hain tha the thi ho se par aur ya bhi to hi yeh ye woh wo kya kaise kab
    kahan kyun kyu kaun koi kuch main mera meri mere mujhe hum aap apna nahi nhi na ji haan kar karna
    kiya plz pls bhai yaar
"""

_TAGALOG = """
    ang ng mga sa na at ay si ni kay kina ko mo niya namin natin nila kami tayo kayo sila ako ikaw ka
    siya ito iyan iyon yan yun dito diyan doon po opo ho oo hindi di wala may mayroon meron lang lamang
    din rin daw raw ba pa nga naman kasi pero o kung kapag pag para dahil sana yung un nung noong ano
    paano pano bakit saan kailan sino ilan alin kay tulong tulungan pls pakisabi paki salamat hello hi
    musta kumusta kamusta sa'kin sakin akin ko'y nya nyo natin kayong pong kong mong niyang yong
    ganito ganyan ganun gusto kailangan pwede puwede alam ewan talaga lagi laging nang anong anung
    game laro e eh naman sobra grabe pre pare tol bes
"""


def word_lists(**lists: str) -> dict[str, frozenset[str]]:
    """Language code -> the words of its list, one text of words apart by white space per language."""
    return {code: frozenset(text.split()) for code, text in lists.items()}


STOP_WORDS = word_lists(en=_ENGLISH, es=_SPANISH, pt=_PORTUGUESE, fr=_FRENCH, hi=_HINDI, tl=_TAGALOG)
"""Language code -> its stop words (a language without a list uses none)."""
