"""Seeded generators of realistic customer-service messages, for the demo store, tests and the bench.

The acceptance data (retail customer-support messages with 27 intents, like the public Bitext
dataset) is not on this machine, so the support models are measured on messages made here. To keep
that honest the generator is deliberately *not* template-trivial:

- every intent has many core phrasings (questions, statements, complaints, one-word requests),
  with synonyms drawn per message, so ten examples never cover an intent's wording;
- close intents share vocabulary on purpose (check vs get an invoice; get vs track a refund vs the
  refund policy; change vs set up a shipping address; customer service vs a human agent; create
  an account vs registration problems; delivery options vs delivery period);
- messages get optional greetings, context sentences ("I bought a lamp last week"), order numbers,
  amounts, sign-offs, shouting, txt-speak ("pls", "u"), lower case, missing punctuation and typos
  (swapped, dropped and doubled letters), so lengths range from three words to a paragraph.

`messages(n, seed)` gives English (text, intent); `messages_zh(n, seed)` gives Chinese ones for
ten intents; `faq()` / `faq_zh()` give an FAQ with three phrasings per intent, phrased as a
merchant would write an FAQ page, not copied from the message templates.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

# `{a|b|c}` picks one alternative; `<slot>` is filled from SLOTS. Alternatives may be empty.
INTENTS_EN: dict[str, list[str]] = {
    "cancel_order": [
        "i {want|need|would like} to cancel {my order|order <order>|the order i just placed|my purchase}",
        "{how do i|how can i|can i} cancel {an order|my order|order <order>|a purchase}{?|}",
        "please cancel order <order>{, i ordered the wrong thing|, i changed my mind|, found it cheaper elsewhere|}",
        "{cancel|cancell} my {last|recent|latest} order",
        "is it too late to cancel {the|my} <item> {i ordered|i bought} {yesterday|this morning|an hour ago}{?|}",
        "{help me|i need help} {cancelling|canceling|to cancel} {a purchase|my order|order <order>}",
        "i dont want the <item> anymore, {can you|could you} {stop|cancel} the order{?|}",
        "{where is|where's} the {option|button} to cancel {an order|my order}{?|}",
        "ordered by mistake, {please|pls} cancel {it|order <order>}",
        "{i'd like to|want to} {call off|scrap} {the|my} order {i made|i placed} {today|last night}",
    ],
    "change_order": [
        "i {want|need} to {change|modify|edit|update} {my order|order <order>|the order i placed}",
        "can i {add|remove} {an item|a <item>|something} {to|from} {my order|order <order>}{?|}",
        "{how do i|how can i} {change|swap} the {size|colour|color|quantity} {on|in} my order{?|}",
        "i ordered the wrong {size|colour|color|model}, {can i change it|can you swap it|please fix it} before it ships",
        "{please|pls} {update|change} the quantity {of|on} order <order> to {2|3|one|two}",
        "{is it possible|can i} to {modify|change|edit} {a|my} purchase after {paying|checkout|placing it}{?|}",
        "i {forgot|missed} to add {a|the} <item> to {my order|order <order>}, {can you add it|can it be added}{?|}",
        "{need|want} to swap the <item> {in|on} my order for a different {one|model|size}",
        "{change|edit} {items|products} in {my|an} order",
    ],
    "change_shipping_address": [
        "i {need|want} to change {the|my} {shipping|delivery} address {on|for} {order <order>|my order|my last order}",
        "{how do i|how can i|can i} {change|update|correct} the {address|shipping address|delivery address} {for|on} {an order|my order} {already placed|i made|}{?|}",
        "i {moved|just moved|have moved}, {please|pls} {send|ship} order <order> to my new address",
        "{wrong|incorrect} {address|postcode|zip code} on my order, {can you fix it|how do i correct it|please correct it}",
        "{can you|could you} {redirect|reroute} {my parcel|my package|order <order>} to {my office|another address|my parents house}{?|}",
        "{typo|mistake} in the {street|house number|address} {for|of} order <order>, {it needs to be|should be} {12|21|4B} {High Street|Elm Road|Rue Victor}",
        "{update|change} the delivery address {of|for} {a|my} purchase",
    ],
    "check_cancellation_fee": [
        "{is there|do you charge|will i pay} a {fee|charge|penalty} {for cancelling|to cancel|if i cancel} {an order|my order|order <order>}{?|}",
        "how much {does it cost|is it|do i pay} to cancel {an order|my purchase|order <order>}{?|}",
        "{what is|what's} {the|your} cancellation {fee|charge|penalty}{?|}",
        "{will i be charged|do i get charged|am i charged} {anything|something|extra} if i cancel{?|}",
        "{check|see|know} the {cancellation|early termination} {fee|fees|charges}",
        "if i cancel {now|today|before it ships} do i {lose|pay} {anything|money|the deposit}{?|}",
        "{are|is} {cancellations|cancelling} free {of charge|}{?|}",
    ],
    "check_invoice": [
        "i {want|need|would like} to {see|check|look at|view} {my|the} invoice {for|of} {order <order>|my last order|my purchase}",
        "{where can i|how do i|how can i} {find|see|view|check} {my invoices|an invoice|the invoice} {from|for} {last month|<date>|order <order>}{?|}",
        "the invoice {for|on} order <order> {shows|says} the wrong {amount|address|vat number|company name}{, can you check|, please check|}",
        "{can you|could you} {check|verify|confirm} {the|my} invoice {amount|total|details} {for|of} <amount>{?|}",
        "{show me|let me see|display} {my|the} {bills|invoices|bill} {from|for} {last year|<date>|this month}",
        "{is|was} {the|my} invoice {correct|right|accurate}{? i was charged <amount>|?|}",
        "{check|consult} {invoice|bill} {details|status}",
    ],
    "get_invoice": [
        "{can i|could i|how do i|how can i} {get|download|receive|obtain} {an|the|a copy of my|my} invoice {for|of} {order <order>|my purchase|my last order}{?|}",
        "{please|pls|kindly} {send|email|mail} me {the|an} invoice {for|of} {order <order>|my order|my purchase}",
        "i {need|require} {an|a proper|a VAT} invoice {for|of} {my purchase|order <order>} {for my company|for my accountant|for work|for tax purposes|}",
        "{didn't|did not|never} {get|receive} {an|the|my} invoice {with|for} my order{, can you resend it|, please send it|}",
        "{where do i|how to} download {the|my} {invoice|receipt|bill} {pdf|as pdf|}{?|}",
        "{resend|re-send|send again} {the|my} invoice {for|of} <order>",
        "{invoice|receipt} {copy|download|pdf} {please|pls|}",
    ],
    "check_payment_methods": [
        "{which|what} payment {methods|options} {do you accept|are accepted|can i use|do you have}{?|}",
        "{can i|do you let me|is it possible to} pay {with|by|using} {paypal|apple pay|google pay|klarna|bank transfer|a gift card|amex|cash on delivery}{?|}",
        "do you {take|accept} {paypal|visa|mastercard|amex|klarna|apple pay}{?|}",
        "{is|are} {paypal|bank transfer|cash on delivery|installments|pay later} {available|an option|accepted}{?|}",
        "{list|show me|tell me} {the|your} {payment|pay} {options|methods|modalities}",
        "{how|in what ways} can i pay {for my order|for an order|you}{?|}",
    ],
    "check_refund_policy": [
        "{what is|what's} {your|the} {refund|return|money back} policy{?|}",
        "{how many days|how long} do i have to {return|send back} {an item|something|the <item>} {for a refund|and get my money back|}{?|}",
        "{can i|do i} get {a refund|my money back|a full refund} {if|when} {i don't like it|it doesn't fit|i change my mind|the item is opened}{?|}",
        "{do you|will you} {offer|give} {refunds|full refunds|money back} {on|for} {sale items|opened items|used items|gifts}{?|}",
        "{i want to|i'd like to|need to} {know|check|read|understand} {your|the} {refund|return} {policy|rules|conditions|terms}",
        "{are|is} {return shipping|postage for returns|returns} free{?|}",
        "{in which cases|under what conditions|when} {can|do} i {get|request|ask for} a refund{?|}",
    ],
    "complaint": [
        "i {want|would like|need} to {make|file|lodge|submit} a complaint{ about <subject>|}",
        "{this is|it's} {unacceptable|ridiculous|outrageous|a joke}{,|.} {your service|the service|the delivery|your company} {is|was} {terrible|awful|the worst}",
        "{how do i|where can i|how can i} {complain|file a complaint|report a problem} {about|regarding} {an agent|your service|a delivery|the courier}{?|}",
        "i am {very|extremely|really} {unhappy|disappointed|annoyed|angry|upset} with {your service|the way i was treated|my experience|the support i got}",
        "{the courier|your driver|the agent on the phone|your staff} was {rude|unprofessional|useless}{, i want to complain| and i want someone to know|}",
        "{i'm|i am} {fed up|sick of waiting|tired of this}, {nobody|no one} {answers|replies|helps}{, i want to complain|!!|}",
        "{file|lodge|raise|open} a {complaint|claim|formal complaint}{ against your company| about my order| about your service|}",
    ],
    "contact_customer_service": [
        "{how can i|how do i|where can i} {contact|reach|get in touch with|talk to} {customer service|customer support|your support team|the support department}{?|}",
        "{what is|what's|give me} {the|your} {customer service|support|helpline|customer care} {phone number|number|email|email address}{?|}",
        "{what are|when are} {your|the} {customer service|support|call centre|helpdesk} {hours|opening hours|working hours}{?|}",
        "{is there|do you have} a {phone number|number to call|email|live chat|chat} {for|to reach} {customer service|support|help}{?|}",
        "{i need|i want|i'd like} to {speak|talk} {to|with} customer {service|support|care} {about something|about an order|}",
        "{customer service|support|helpdesk} {contact|number|email|details} {please|pls|}",
    ],
    "contact_human_agent": [
        "{can i|could i|i want to|i need to|let me} {speak|talk|chat} {to|with} a {real person|human|live agent|human being|real agent|person}{?|}",
        "{i don't want|i do not want|stop giving me} {a bot|a robot|this chatbot|automated answers}{, get me a human|, i want a real person|}",
        "{connect|transfer|put} me {to|through to|with} {an agent|a human agent|a person|someone real|an operator}{ now| please| pls|}",
        "{is there|are there} {a|any} {human|real person|live agent|actual person} {here|i can talk to|available|online}{?|}",
        "{human|agent|operator|representative}{ please| pls|!|}",
        "{are you|is this} a {bot|robot|real person|machine}{? i need a human|?|}",
    ],
    "create_account": [
        "{how do i|how can i|i want to|i'd like to|can i} {create|open|make|set up} {an|a new|a customer|a} account{?|}",
        "{i want to|i'd like to|i wanna} {sign up|register|join|become a member}{ on your site| in the app| for an account|}",
        "{where|how} {do i|can i} {register|sign up|make a profile}{?|}",
        "{open|create|new} {an|a|} {account|profile|customer account|user account}{ for me| please| pls|}",
        "{i don't have|i have no|i haven't got} an account yet, {how do i get one|how do i make one|can you help me create one}{?|}",
        "{is it|is it possible to} {create|open} an account {with|using} {my email|google|facebook|my phone number}{?|}",
    ],
    "delete_account": [
        "{i want|i would like|i need} to {delete|close|remove|cancel|terminate} my account",
        "{how do i|how can i|can i} {delete|close|deactivate|remove} my {account|profile|user account}{ permanently| for good|}{?|}",
        "{please|pls|kindly} {delete|remove|erase} {my account|my profile|all my data} {and all my data|from your system|}",
        "{i don't|i do not|i no longer} {want|need|use} my account{ anymore|}, {remove it|delete it|close it}",
        "{account|profile} {deletion|removal|closure}{ request| please|}",
        "{get rid of|erase|wipe} my {account|customer account|profile}{ gdpr| under gdpr|}",
    ],
    "delivery_options": [
        "{what|which} {delivery|shipping} {options|methods|services} {do you have|do you offer|are available|can i choose}{?|}",
        "{do you|can you} {ship|deliver|send} {to|orders to} {canada|australia|the uk|germany|ireland|my country|a po box|a parcel locker}{?|}",
        "{is there|do you have|do you offer} {express|next day|same day|overnight|free|store pickup|click and collect} {delivery|shipping}{?|}",
        "{can i|is it possible to} {pick up|collect} {my order|the parcel} {in store|from a store|at a pickup point}{?|}",
        "{list|show me|tell me} {the|your} {shipping|delivery} {options|methods|carriers}",
        "{which|what} {couriers|carriers} do you use{, dhl or ups|, ups or fedex|}{?|}",
    ],
    "delivery_period": [
        "how long {does|will} {delivery|shipping|it} take{ to <place>| to my country| for standard shipping|}{?|}",
        "{when|what day} will {my order|order <order>|the <item>|my parcel} {arrive|be delivered|get here}{?|}",
        "{what is|what's} {the|your} {delivery time|shipping time|delivery period|estimated delivery date}{ for <place>|}{?|}",
        "{how many|how much} {days|business days|time} {for|does it take for} {delivery|shipping|an order to arrive}{?|}",
        "{if i order|ordering} {today|now|tonight}, {will it arrive|will i get it|does it come} {by|before} {friday|the weekend|christmas|next week}{?|}",
        "{estimated|expected} {delivery|arrival} {date|time} {for|of} {order <order>|my purchase}",
    ],
    "edit_account": [
        "i {want|need} to {change|update|edit|modify} {my|the} {email|email address|phone number|name|personal details|account details} {on|in} my account",
        "{how do i|how can i|can i} {update|change|edit|correct} my {profile|account info|account details|personal information}{?|}",
        "{my|the} {email|phone number|name|date of birth} on my account is {wrong|out of date|old}{, how do i fix it|, please update it|}",
        "{change|update|edit} {the|my} {account|profile} {details|information|settings}",
        "{i got married|i have a new email|i changed my number}, {need to|want to|how do i} update my {account|profile}{?|}",
    ],
    "get_refund": [
        "i {want|need|would like} {a refund|my money back|to be refunded} {for|on} {order <order>|the <item>|my purchase|this order}",
        "{how do i|how can i|can i} {get|request|claim|ask for} {a refund|my money back|reimbursement} {for|on} {my order|order <order>|a return|the <item>}{?|}",
        "{please|pls|kindly} refund {me|my money|order <order>|the <amount>}{ asap| now| immediately|}",
        "{the <item> is|my <item> was|it was} {broken|damaged|faulty|not as described}{, i want my money back|, refund please|, give me a refund}",
        "{i returned|i sent back} {the <item>|my order|the parcel} {, now refund me|and i want my refund|, how do i get the refund}{?|}",
        "{request|claim|start} a {refund|reimbursement|money back}{ for an item| for my purchase| now|}",
    ],
    "newsletter_subscription": [
        "{how do i|how can i|i want to|i'd like to|can i} {subscribe|sign up} {to|for} {your|the} newsletter{?|}",
        "{i want to|i'd like to|how do i|please} {unsubscribe|stop getting|opt out of} {from the|your|the|} {newsletter|marketing emails|promo emails|emails}",
        "{stop|quit} sending me {newsletters|emails|promotional emails|spam}{!!|!|}",
        "{i never signed up|i did not subscribe} {for|to} {your newsletter|these emails} {, remove me|, take me off the list|}",
        "{add me to|put me on|sign me up for} {the|your} {mailing list|newsletter|offers emails}",
        "{newsletter|mailing list} {subscription|unsubscribe|sign up|cancel}",
    ],
    "payment_issue": [
        "{my payment|the payment|my card} {was declined|didn't go through|failed|keeps failing|got rejected}{ at checkout| when paying| for order <order>|}",
        "{i was|i've been|i got} {charged twice|double charged|charged two times} {for|on} {order <order>|my order|one purchase}",
        "{i have|there is|got} {a problem|an issue|an error|trouble} {with|making|paying with} {my payment|the payment|paypal|my card|checkout}",
        "{error|an error message} {when i try to|trying to|every time i} pay{ with my visa| with paypal| by card|}",
        "{money was taken|you took the money|the amount was debited} {but|yet} {no order|i have no order|the order never went through}",
        "{report|notify|tell you about} {a payment issue|a billing problem|payment problems}",
        "{why|how come} {was|is} my {card|payment} {declined|refused|not accepted}{? i have money on it|?|}",
    ],
    "place_order": [
        "{i want|i would like|i'd like|i need} to {buy|order|purchase|get} {a|the|two|some} <item>{ from your shop| online|}",
        "{how do i|how can i|can i} {place|make|complete|submit} {an order|a purchase|my order}{ on the website| by phone| in the app|}{?|}",
        "{can you|could you} {help me|assist me} {order|buy|purchase} {a|the|some} <item>{?|}",
        "{i'm|i am} {trying|having trouble|unable} to {order|buy|check out} {a|the} <item>{, how does it work|, what do i do|}",
        "{make|place|put in} {an order|a purchase} for {a|some|a couple of} <item>{s|}",
        "{where|how} {do i|can i} {checkout|check out|buy} {?|}",
    ],
    "recover_password": [
        "{i forgot|i can't remember|i lost|forgot} my password{, how do i reset it|, help|!|}",
        "{how do i|how can i|can i} {reset|recover|change|retrieve} my password{?|}",
        "{the|my} password reset {email|link} {never arrives|didn't arrive|doesn't work|expired}",
        "{i can't|cannot|can not|unable to} {log in|login|sign in} {, password not working|, forgot password|, my password is wrong|}",
        "{reset|recover|restore} {my|the} {password|pass word|login password}{ please| pls|}",
        "{locked out of|can't get into|cannot access} my account{, need a new password|, reset my password|}",
    ],
    "registration_problems": [
        "{i can't|i cannot|i'm unable to|unable to} {register|sign up|create an account|complete the registration}{, it gives an error|, the page crashes|}",
        "{error|problem|issue|bug} {when|while|trying to} {registering|signing up|creating an account|registration}",
        "{the|your} {registration|sign up|signup} {form|page} {isn't working|doesn't work|is broken|won't accept my email}",
        "{it says|i get} {email already in use|invalid email|username taken|an error} {when i sign up|when registering|at registration}{, but i have no account|}",
        "{never got|didn't receive|no} {the|a} {confirmation|verification|activation} email {after|when} {registering|signing up}",
        "{report|notify} {a|some|} {registration|sign-up|signup} {problem|problems|errors|issue}",
    ],
    "review": [
        "i {want|would like|'d like} to {leave|write|post|give} a {review|rating|testimonial|feedback} {for|about|on} {the <item>|your store|my purchase|your service}",
        "{how do i|how can i|where can i|can i} {review|rate|leave feedback on|write a review for} {a product|the <item>|my order|your shop}{?|}",
        "{just wanted to say|wanted to let you know|i must say} {the <item> is great|i love the <item>|great service|you guys are awesome|the delivery was super fast}{!|!!|}",
        "{give|send|submit|leave} {some|my|} {feedback|opinion|review|comments}{ about your products| on your service| for an item|}",
        "{where do i|how do i} {post|submit|edit} {my|a} {review|rating|star rating}{?|}",
    ],
    "set_up_shipping_address": [
        "{how do i|how can i|i want to|i need to|i'd like to} {set up|add|save|enter|create} {a|my|a new|another} {shipping|delivery} address{ in my account| on my profile| for future orders|}{?|}",
        "{add|save|register|set up} {a|another|a second|my} {shipping|delivery|postal} address{ to my account| to my profile|}",
        "{where|how} {do i|can i} {put|add|save} {my|a} {work|office|home|new} address {in|to} my {account|address book|profile}{?|}",
        "{i can't|i cannot|unable to} {add|save|set up} {a|my} {new|second|shipping} address{, it won't save|, the form gives an error|}",
        "{make|set} {this|my new address|my office} {my|the} default {shipping|delivery} address",
    ],
    "switch_account": [
        "{how do i|how can i|can i|i want to} {switch|change|swap} {to|between} {another|a different|my other|my business|my personal} account{s|}{?|}",
        "{i have|i've got} two accounts{,| and} {how do i switch between them|i want to use the other one|can i change which one i'm logged into}",
        "{log me into|switch me to|use} {my other|my old|my wife's|the business} account{ instead| please|}",
        "{change|switch} {the|my} {active|current|logged in} {account|user|profile}",
        "{i'm|i am} {logged into|signed into|using} the wrong account{, how do i switch|, switch account|}",
    ],
    "track_order": [
        "{where is|where's|wheres} {my order|my package|my parcel|order <order>|the <item> i ordered}{?|??|}",
        "{how can i|how do i|can i} {track|follow|check the status of|see where} {my order|order <order>|my parcel|my shipment}{ is|}{?|}",
        "{my order|order <order>|my parcel|my <item>} {still hasn't arrived|has not arrived|is late|hasn't shipped yet|never arrived}{, where is it|, any update|}",
        "{i need|i want|give me|can i get} {the|a} tracking {number|link|info|code} {for|of} {my order|order <order>|my parcel}",
        "{what's|what is} the status of {my order|order <order>|my delivery|my shipment}{?|}",
        "{tracking|track} {my|an|} {order|package|parcel|delivery}",
        "{it's been|its been|been} {a week|two weeks|10 days|ages} {and|since i ordered and} {nothing|no parcel|my order hasn't come}{, where is it|}",
    ],
    "track_refund": [
        "{where is|where's|wheres} my refund{ for order <order>| for the <item>|}{?|??|}",
        "{how can i|how do i|can i} {track|check|follow|see} {the status of|} my refund{?|}",
        "{i haven't|i have not|still haven't|i still have not} {received|got|gotten|seen} {my refund|the refund|my money back} {for order <order>|for the return|yet|}",
        "{it's been|its been} {two weeks|10 days|a month|ages} since {i returned the <item>|my return arrived|you approved my refund}{, where's my money|, where is my refund|}",
        "{when|how soon} will {i get|i receive|the refund arrive|my money be back}{ on my card| in my account|}{?|}",
        "{refund|reimbursement} {status|update|tracking}{ for <order>| please|}",
        "{did you|have you} {process|send|issue} my refund {yet|already|}{?|}",
    ],
}

SLOTS_EN = {
    "order": ["#{n5}", "{n5}", "ORD-{n6}", "{n8}", "#{n6}", "order {n5}", "A{n6}"],
    "item": ["jacket", "phone case", "blender", "running shoes", "lamp", "coffee maker", "sofa cushion", "dress",
             "headphones", "watch", "backpack", "kettle", "vacuum", "t-shirt", "printer ink", "bike helmet",
             "yoga mat", "skincare set", "desk chair", "baby stroller"],
    "amount": ["$49.99", "£120", "€35", "$12.50", "89 dollars", "$230", "€1,200"],
    "date": ["march", "last month", "january 2024", "the 14th", "last week", "2024-05-02", "christmas"],
    "place": ["london", "texas", "canada", "berlin", "australia", "a rural area", "new york"],
    "subject": ["the courier", "your support", "a late delivery", "the quality", "an agent", "my last order"],
}

GREETINGS_EN = ["", "", "", "hi", "hello", "hi there,", "hey", "good morning,", "Hello team,", "dear customer service,",
                "hey guys", "Hi!", "good evening", "hello, ", "Excuse me,"]
CONTEXT_EN = ["", "", "", "", "", "I bought a <item> from you last week.", "this is the second time i write.",
              "I'm a regular customer.", "my name is Sam.", "ordered on your website.", "Quick question.",
              "sorry to bother you.", "i used the app.", "order number is <order>.", "it's urgent.",
              "my account email is sam.lee@example.com."]
CLOSINGS_EN = ["", "", "", "", "thanks", "thank you", "thx", "thanks in advance!", "please help", "asap please",
               "regards, Anna", "cheers", "Best, M.", "ty", "appreciate it", "!!!", "please answer quickly",
               "I've been waiting for an answer."]


def _fill_alternatives(template: str, rng: np.random.Generator) -> str:
    pattern = re.compile(r"\{([^{}]*)\}")
    while True:
        m = pattern.search(template)
        if not m:
            return template
        options = m.group(1).split("|")
        template = template[:m.start()] + options[int(rng.integers(len(options)))] + template[m.end():]


def _fill_slots(text: str, slots: dict, rng: np.random.Generator) -> str:
    def slot(m):
        name = m.group(1)
        value = slots[name][int(rng.integers(len(slots[name])))]
        return (value.replace("{n5}", str(rng.integers(10000, 99999))).replace("{n6}", str(rng.integers(100000, 999999)))
                .replace("{n8}", str(rng.integers(10 ** 7, 10 ** 8))))
    return re.sub(r"<(\w+)>", slot, text)


def _typo(word: str, rng: np.random.Generator) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = int(rng.integers(1, len(word) - 1))
    kind = rng.integers(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]  # swap
    if kind == 1:
        return word[:i] + word[i + 1:]  # drop
    if kind == 2:
        return word[:i] + word[i] + word[i:]  # double
    return word[:i] + "qwertyuiopasdfghjklzxcvbnm"[int(rng.integers(26))] + word[i + 1:]  # fat finger


_TXT = {"you": "u", "please": "pls", "are": "r", "thanks": "thx", "because": "cuz", "your": "ur", "to": "2"}


def _noise(text: str, rng: np.random.Generator, typo_rate: float) -> str:
    words = text.split(" ")
    if rng.random() < 0.12:  # txt-speak
        words = [_TXT.get(w, w) if rng.random() < 0.6 else w for w in words]
    words = [_typo(w, rng) if rng.random() < typo_rate else w for w in words]
    text = " ".join(words)
    r = rng.random()
    if r < 0.45:
        text = text[:1].upper() + text[1:]
        text = re.sub(r"\bi\b", "I", text)
    elif r < 0.52:
        text = text.upper()
    if rng.random() < 0.4:
        text = text.rstrip("?!.")
    return re.sub(r"\s+", " ", text).strip()


def _compose(core: str, greetings, contexts, closings, rng, extras: float = 1.0) -> str:
    # Most messages are the request alone; some carry a greeting, a context sentence or a sign-off.
    parts = []
    g = greetings[int(rng.integers(len(greetings)))] if rng.random() < 0.35 * extras else ""
    if g:
        parts.append(g)
    c = contexts[int(rng.integers(len(contexts)))] if rng.random() < 0.3 * extras else ""
    before = rng.random() < 0.5
    if c and before:
        parts.append(c)
    parts.append(core)
    if c and not before:
        parts.append(c)
    e = closings[int(rng.integers(len(closings)))] if rng.random() < 0.35 * extras else ""
    if e:
        parts.append(e)
    return " ".join(parts)


def messages(n: int = 2000, seed: int = 0, intents: list[str] | None = None, typo_rate: float = 0.04,
             extras: float = 1.0) -> pd.DataFrame:
    """`n` English messages (text, intent), intents drawn uniformly."""
    rng = np.random.default_rng(seed)
    names = intents or list(INTENTS_EN)
    rows = []
    for _ in range(n):
        intent = names[int(rng.integers(len(names)))]
        core = _fill_alternatives(INTENTS_EN[intent][int(rng.integers(len(INTENTS_EN[intent])))], rng)
        text = _compose(core, GREETINGS_EN, CONTEXT_EN, CLOSINGS_EN, rng, extras)
        text = _noise(_fill_slots(text, SLOTS_EN, rng), rng, typo_rate)
        rows.append((text, intent))
    return pd.DataFrame(rows, columns=["text", "intent"])


# The FAQ a merchant writes: formal questions, three phrasings each, none copied from the templates.
FAQ_EN: dict[str, tuple[list[str], str]] = {
    "cancel_order": (["How do I cancel an order?", "Can I cancel my order after placing it?",
                      "I placed an order by mistake. How can I stop it?"],
                     "Open My orders, choose the order and press Cancel. Orders can be cancelled until they ship."),
    "change_order": (["Can I change items in my order?", "How do I modify an order I already placed?",
                      "Can I change the size or colour of an ordered item?"],
                     "Until the order ships you can edit items, sizes and quantities under My orders > Edit."),
    "change_shipping_address": (["Can I change the delivery address of my order?",
                                 "I entered the wrong address. How do I correct it?",
                                 "How can I send my order to a different address?"],
                                "Before dispatch, edit the address under My orders. After dispatch, contact the courier with your tracking number."),
    "check_cancellation_fee": (["Is there a fee for cancelling an order?", "How much does cancelling cost?",
                                "Will I be charged if I cancel?"],
                               "Cancelling is free until the order ships; after that the return rules apply."),
    "check_invoice": (["Where can I see my invoices?", "How do I check the details of an invoice?",
                       "My invoice looks wrong. How can I check it?"],
                      "All invoices are listed under Account > Invoices with their amounts and VAT details."),
    "get_invoice": (["How do I get an invoice for my order?", "Can you send me a copy of my invoice?",
                     "Where do I download the invoice as a PDF?"],
                    "Invoices are emailed when the order ships; download a PDF any time under Account > Invoices."),
    "check_payment_methods": (["Which payment methods do you accept?", "Can I pay with PayPal or Apple Pay?",
                               "What are the ways to pay for an order?"],
                              "We accept Visa, Mastercard, Amex, PayPal, Apple Pay, Google Pay and Klarna."),
    "check_refund_policy": (["What is your refund policy?", "How long do I have to return an item for a refund?",
                             "Under which conditions do you refund a purchase?"],
                            "You can return unused items within 30 days for a full refund; return postage is free."),
    "complaint": (["How do I make a complaint?", "I am unhappy with the service. How can I complain?",
                   "Where do I file a formal complaint?"],
                  "We are sorry. Use the complaint form under Help > Complaints; a manager replies within 2 working days."),
    "contact_customer_service": (["How can I contact customer service?", "What are your support opening hours?",
                                  "What is the customer support phone number or email?"],
                                 "Call 0800 123 456 (Mon-Fri 8:00-20:00) or write to help@example.com."),
    "contact_human_agent": (["Can I talk to a real person?", "How do I reach a human agent instead of the bot?",
                             "I want to speak with a live agent."],
                            "Type 'agent' in the chat or call us; a person takes over during opening hours."),
    "create_account": (["How do I create an account?", "How can I sign up as a new customer?",
                        "Can I register with my email address?"],
                       "Choose Sign up at the top of the page and enter your email; it takes a minute."),
    "delete_account": (["How do I delete my account?", "Can I close my account and remove my data?",
                        "I want my profile removed permanently."],
                       "Go to Account > Privacy > Delete account. Your data is erased within 30 days."),
    "delivery_options": (["What delivery options do you offer?", "Do you ship abroad or offer express delivery?",
                          "Can I collect my order from a store or pickup point?"],
                         "Standard, express and next-day delivery, pickup points and click & collect; we ship to 30 countries."),
    "delivery_period": (["How long does delivery take?", "When will my order arrive?",
                         "What is the expected shipping time?"],
                        "Standard delivery takes 3-5 working days; express 1-2 days."),
    "edit_account": (["How do I change my account details?", "How can I update my email or phone number?",
                      "Where do I edit my personal information?"],
                     "Update your name, email and phone under Account > Profile."),
    "get_refund": (["How do I get a refund?", "How can I request my money back for an item?",
                    "I want to be reimbursed for a faulty product."],
                   "Start a return under My orders; the refund goes to your original payment method once we receive the item."),
    "newsletter_subscription": (["How do I subscribe to the newsletter?", "How can I unsubscribe from your emails?",
                                 "How do I stop marketing emails?"],
                                "Manage the newsletter under Account > Notifications, or use the unsubscribe link in any email."),
    "payment_issue": (["My payment was declined. What should I do?", "I was charged twice for one order.",
                       "There is a problem with my payment at checkout."],
                      "Check your card details or try another method. Double charges are released by your bank in 3-5 days."),
    "place_order": (["How do I place an order?", "How can I buy a product on your website?",
                     "What are the steps to make a purchase?"],
                    "Add items to your basket, open the basket and choose Checkout."),
    "recover_password": (["I forgot my password. How do I reset it?", "How can I recover access to my account?",
                          "The password reset email did not arrive."],
                         "Use 'Forgot password' on the login page; the reset link is valid for 24 hours. Check your spam folder."),
    "registration_problems": (["I cannot complete the registration.", "Why do I get an error when signing up?",
                               "I did not receive the confirmation email after registering."],
                              "Try another browser or clear cookies; if the confirmation email is missing, check spam or ask for a new one."),
    "review": (["How do I leave a review for a product?", "Where can I rate my purchase?",
                "How can I give feedback about your shop?"],
               "Open the product page or My orders and choose Write a review. Thank you for your feedback!"),
    "set_up_shipping_address": (["How do I add a new shipping address to my account?",
                                 "Can I save several delivery addresses?", "How do I set a default delivery address?"],
                                "Add and manage addresses under Account > Address book and mark one as default."),
    "switch_account": (["How do I switch between my accounts?", "I have two accounts. How do I change which one I use?",
                        "Can I log in to a different account?"],
                       "Log out from the menu and log in with the other account's email."),
    "track_order": (["How can I track my order?", "Where is my parcel?", "My order has not arrived yet. What can I do?"],
                    "Follow the tracking link in your shipping email or open My orders > Track."),
    "track_refund": (["When will I receive my refund?", "How can I check the status of my refund?",
                      "I returned an item but have not been refunded yet."],
                     "Refunds are issued within 5 working days of receiving your return; banks take 3-5 more days."),
}


def faq(intents: list[str] | None = None) -> pd.DataFrame:
    """The English FAQ: faq_id, question, answer (three rows per faq_id)."""
    rows = []
    for intent, (questions, answer) in FAQ_EN.items():
        if intents and intent not in intents:
            continue
        rows += [(intent, q, answer) for q in questions]
    return pd.DataFrame(rows, columns=["faq_id", "question", "answer"])


# ---------------------------------------------------------------------------------------------
# Chinese
# ---------------------------------------------------------------------------------------------
INTENTS_ZH: dict[str, list[str]] = {
    "track_order": ["{我的|}{订单|快递|包裹}{到哪了|到哪里了|怎么还没到|什么时候到}{？|?|}",
                    "{订单|单号}<order>{一直没有物流更新|物流信息不动了|还没发货吗}{，怎么回事|}",
                    "{麻烦|请|}{帮我|帮忙}查一下{物流|快递|订单}{进度|状态|}",
                    "{都|已经}{一个星期|十天|好几天}了{还没收到货|包裹还没到|快递没动静}"],
    "cancel_order": ["{我想|我要|请帮我}取消{订单|这个订单|订单<order>}",
                     "{拍错了|买错了|不想要了}，{能取消吗|怎么取消订单|帮我取消一下}{？|}",
                     "{怎么|如何}取消{刚下的|已付款的|}订单{？|}"],
    "get_refund": ["{我要|我想|申请}{退款|退钱}{，订单<order>|，东西坏了|}",
                   "{商品|东西|<item>}{有质量问题|坏了|和描述不符}，{我要退款|请退款|能退钱吗}",
                   "{怎么|如何}申请{退款|退货退款}{？|}"],
    "track_refund": ["{退款|钱}{什么时候到账|怎么还没到|到哪了}{？|}",
                     "{已经|都}退货{一周|十天|半个月}了，{退款还没收到|钱还没退回来}",
                     "{查一下|帮我看看}{退款进度|退款状态}"],
    "change_shipping_address": ["{地址|收货地址}{填错了|写错了}，{能改吗|帮我改一下|怎么修改}",
                                "{我想|麻烦}{修改|更改}订单<order>的{收货地址|地址}",
                                "{能不能|可以}{改|换}{一个|}{收货地址|地址}{吗|}{？|}"],
    "get_invoice": ["{我要|我需要|请}开{发票|增值税发票|电子发票}{，订单<order>|}",
                    "{发票|电子发票}{怎么开|在哪里下载|没收到}{？|}",
                    "{麻烦|请}把{发票|订单发票}发{到我邮箱|给我}"],
    "payment_issue": ["{付款|支付}{失败|不成功|一直报错}{，怎么办|了|}",
                      "{被扣了两次钱|重复扣款了|钱扣了但订单没生成}{，订单<order>|}",
                      "{微信|支付宝|银行卡}{付不了款|支付不了|付款失败}"],
    "delivery_period": ["{一般|大概}{几天|多久}{能到|发货|送到}{？|}",
                        "{现在|今天}下单{什么时候能到|几天能收到|明天能到吗}{？|}",
                        "{发货|配送}{时间|要多久}{是多久|}{？|}"],
    "contact_human_agent": ["{转|找}{人工|人工客服|真人}{！|}",
                            "{我不要|不想跟}机器人{说话|聊}，{找个人工|转人工}",
                            "{有没有|能不能找}{人工客服|真人客服}{？|}"],
    "recover_password": ["{忘记密码了|密码忘了|登录不上}，{怎么找回|怎么重置|怎么办}{？|}",
                         "{重置|找回}{密码|登录密码}的{邮件|短信|验证码}{没收到|收不到}",
                         "{怎么|如何}{修改|重置}密码{？|}"],
}
SLOTS_ZH = {"order": ["{n8}", "#{n6}", "DD{n6}"], "item": ["耳机", "外套", "电饭煲", "手机壳", "台灯", "运动鞋"]}
GREETINGS_ZH = ["", "", "你好，", "您好，", "在吗？", "客服你好，", "亲，"]
CLOSINGS_ZH = ["", "", "谢谢", "谢谢！", "麻烦尽快处理", "急！", "辛苦了"]

FAQ_ZH: dict[str, tuple[list[str], str]] = {
    "track_order": (["如何查询订单物流？", "我的包裹什么时候到？", "订单一直没有收到怎么办？"], "在“我的订单”中点击“查看物流”即可查看实时进度。"),
    "cancel_order": (["如何取消订单？", "下单后还能取消吗？", "买错了可以取消订单吗？"], "发货前可在“我的订单”中直接取消。"),
    "get_refund": (["如何申请退款？", "商品有质量问题可以退钱吗？", "怎样办理退货退款？"], "在订单详情中点击“申请退款”，审核通过后原路退回。"),
    "track_refund": (["退款多久到账？", "怎么查看退款进度？", "退货后一直没收到退款怎么办？"], "我们收到退货后5个工作日内退款，银行到账需3-5天。"),
    "change_shipping_address": (["如何修改收货地址？", "地址填错了怎么办？", "下单后可以换地址吗？"], "发货前可在订单详情中修改地址。"),
    "get_invoice": (["如何开具发票？", "电子发票在哪里下载？", "可以开增值税发票吗？"], "在订单详情中申请发票，电子发票会发送到您的邮箱。"),
    "payment_issue": (["支付失败怎么办？", "重复扣款了如何处理？", "付款成功但订单未生成怎么办？"], "请换一种支付方式重试，重复扣款会在3-5天内原路退回。"),
    "delivery_period": (["一般几天能送到？", "发货需要多长时间？", "下单后多久能收到？"], "一般48小时内发货，3-5天送达。"),
    "contact_human_agent": (["怎么联系人工客服？", "可以转人工吗？", "如何找到真人客服？"], "在对话框输入“人工”即可转接人工客服（9:00-21:00）。"),
    "recover_password": (["忘记密码怎么办？", "如何重置登录密码？", "收不到重置密码的验证码怎么办？"], "在登录页点击“忘记密码”，按短信验证码重置。"),
}


def messages_zh(n: int = 400, seed: int = 0) -> pd.DataFrame:
    """`n` Chinese messages (text, intent) for ten intents."""
    rng = np.random.default_rng(seed)
    names = list(INTENTS_ZH)
    rows = []
    for _ in range(n):
        intent = names[int(rng.integers(len(names)))]
        core = _fill_alternatives(INTENTS_ZH[intent][int(rng.integers(len(INTENTS_ZH[intent])))], rng)
        text = GREETINGS_ZH[int(rng.integers(len(GREETINGS_ZH)))] + core + CLOSINGS_ZH[int(rng.integers(len(CLOSINGS_ZH)))]
        rows.append((_fill_slots(text, SLOTS_ZH, rng), intent))
    return pd.DataFrame(rows, columns=["text", "intent"])


def faq_zh() -> pd.DataFrame:
    rows = [(intent, q, answer) for intent, (questions, answer) in FAQ_ZH.items() for q in questions]
    return pd.DataFrame(rows, columns=["faq_id", "question", "answer"])


def labelled_examples(df: pd.DataFrame, per_intent: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split into `per_intent` labelled examples per intent and the rest (the unseen tickets)."""
    picked = df.groupby("intent", group_keys=False).sample(n=per_intent, random_state=seed)
    return picked.reset_index(drop=True), df.drop(index=picked.index).reset_index(drop=True)
