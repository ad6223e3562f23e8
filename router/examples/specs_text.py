"""Templates and fillers of the classes that work on a text the user supplies (make_examples.py)."""


def pool(text):
    """Fillers are written one per line to keep this file compact and diffable."""
    return [line.strip() for line in text.strip().splitlines() if line.strip()]


# Each class: templates per split, and for every {slot} a (train, test) pair of filler pools.
TEXT_CLASSES = {
    "grammar_fix": {
        "train": ["Fix the grammar in this sentence: {bad}",
                  "Correct the grammar and spelling: \"{bad}\"",
                  "Can you proofread this for me? {bad}",
                  "Please fix any grammatical mistakes: {bad}",
                  "{bad}\n\nFix the grammar above.",
                  "Rewrite this sentence with correct grammar: {bad}",
                  "Make this grammatically correct without changing the meaning: {bad}"],
        "test": ["Is this sentence grammatically correct? If not, correct it: {bad}",
                 "Clean up the grammar of my message before I send it: {bad}",
                 "Edit for grammar and punctuation only: \"{bad}\"",
                 "{bad} -- please correct the errors in that.",
                 "My teacher marked this sentence wrong, what is the right version? {bad}"],
        "bad": (pool("""
            Me and him goes to the store every days.
            She don't like when people is late.
            Their going to the park tomorrow, weather or not it rains.
            I has been working here since three years.
            The datas shows that the results is significant.
            Everyone have their own opinion about it.
            He runned very fast and then he fall down.
            We was supposed to meet at the cafe but she forget.
            Its a long way to the station, so bring you're umbrella.
            The team are playing good this season.
            Less people came to the meeting then we expected.
            Who's book is laying on the table?
            I should of known better then to trust him.
            Between you and I, the project are failing.
            Him and me has finished the report yesterday.
            There is many reasons why this don't work.
            The informations you sent was very useful.
            She said me that she will came later.
            I am agree with your proposal.
            Despite of the rain we goes hiking.
            The childrens was playing in the garden.
            If I would have know, I would of told you.
            Each of the students have submitted they homework.
            He don't never listen to nobody.
            I look forward to hear from you soon.
            Our manager have many experiences in this field.
            The car need to be wash before the trip.
            Whom is responsible for this mistake?
            I seen that movie last week and it were great.
            Can you explain me how this works?"""),
                pool("""
            They was very happy about there new house.
            My brother have went to university last years.
            The results of the survey shows a clear trend.
            Neither of the options are acceptable for we.
            She work in a hospital since 2015.
            I didn't knew that he was coming.
            The dog wagged it's tail when it seen me.
            Me and my friends is planning a trip.
            There are less cars on the road then before.
            He suggested me to take the train.
            The list of items are on the desk.
            We discussed about the problem for hours.""")),
    },
    "classification": {
        "train": ["Classify the sentiment of this review as positive, negative or neutral: \"{review}\"",
                  "Is the following review positive or negative? {review}",
                  "Which category does this headline belong to: sports, politics, technology or business? \"{headline}\"",
                  "Label this news headline with one topic (sports, politics, tech, business, health): {headline}",
                  "Route this support ticket to billing, technical or account: \"{ticket}\"",
                  "Categorise this customer message as complaint, question or praise: {ticket}",
                  "Is this email spam or not spam? Answer with one word.\n\n{review}",
                  "Tag the intent of this user query (book_flight, cancel_order, check_weather, other): {query}"],
        "test": ["What is the overall tone of this comment: happy, angry or indifferent?\n{review}",
                 "Assign exactly one label from [urgent, normal, low] to this ticket: {ticket}",
                 "Sort this headline into a section of the newspaper: {headline}",
                 "Decide whether this message is toxic or non-toxic: \"{review}\"",
                 "Detect the intent behind this request and answer with just the label: {query}"],
        "review": (pool("""
            The battery died after two days and support never answered my emails.
            Absolutely loved this blender, it crushes ice in seconds.
            The hotel was fine, nothing special but clean enough.
            Worst pizza I have ever ordered, cold and soggy.
            Great value for money, I would buy it again.
            The movie dragged on for three hours and the ending made no sense.
            Shipping was fast and the packaging was perfect.
            It works as described, no complaints.
            CONGRATULATIONS! You have won a $1000 gift card, click here to claim now!
            Hi team, attached are the slides for Thursday's review meeting.
            Cheap meds online, no prescription needed, order today!!!
            The staff were rude and the room smelled of smoke.
            Decent headphones, the bass is a bit weak though.
            This app crashes every time I open the camera."""),
                pool("""
            I waited forty minutes and the waiter still forgot my order.
            What a delightful little bookshop, the owner recommended a perfect novel.
            The update is okay I guess, I don't really notice a difference.
            You are an idiot and nobody wants you here.
            Thanks so much for fixing that so quickly, you made my day!
            The conference schedule has been moved to the second floor.""")),
        "headline": (pool("""
            Central bank raises interest rates for the third time this year
            Local team clinches championship in overtime thriller
            New smartphone chip promises twice the battery life
            Parliament votes to delay the pension reform bill
            Startup raises $40 million to build delivery robots
            Star striker ruled out for the season with knee injury
            Study links daily walking to lower heart disease risk
            Tech giant announces layoffs amid slowing ad revenue"""),
                pool("""
            Opposition leader calls for early elections after budget defeat
            Marathon world record broken in Berlin
            Chipmaker shares jump after strong quarterly earnings
            Researchers unveil open-source model for weather forecasting""")),
        "ticket": (pool("""
            I was charged twice for my subscription this month.
            I can't log in, it says my password is wrong but I just reset it.
            How do I change the email address on my account?
            The export button gives a 500 error since yesterday.
            Your product is fantastic, the new dashboard is so much faster!
            Please cancel my plan and refund the last payment.
            Why does my invoice show a different VAT number?"""),
                pool("""
            Our whole production system is down and customers cannot pay, help now!
            Could you add dark mode at some point? No rush.
            The PDF report has a typo in the footer.
            I need to update the billing address before Friday's renewal.""")),
        "query": (pool("""
            I need a flight from Boston to Denver next Monday
            where is my package, I want to cancel it
            will it rain in Lisbon tomorrow
            get me two tickets to Rome for the 14th
            what's the capital of Peru"""),
                pool("""
            is it going to be sunny this weekend in Oslo
            please stop my order of the blue sneakers
            book me something to Tokyo in early May
            play some jazz music""")),
    },
    "extraction": {
        "train": ["Extract all the {field} from the following text: {record}",
                  "Pull out all the {field} mentioned here and list them: {record}",
                  "Return a JSON array of the {field} in this text.\n\n{record}",
                  "From this invoice, get the invoice number, the total amount and the due date: {invoice}",
                  "Parse this email signature into JSON with name, title, company, phone and email: {signature}",
                  "{record}\n\nList the {field} that appear in the passage above."],
        "test": ["Find the {field} in this paragraph and output them one per line: {record}",
                 "I need the {field} from this text as a bullet list: {record}",
                 "Fill in this schema {{\"vendor\": str, \"amount\": float, \"date\": str}} from the receipt: {invoice}",
                 "Turn this contact block into structured fields (name, role, organisation, email): {signature}"],
        "field": (pool("""
            dates
            company names
            email addresses
            phone numbers
            prices
            people's names"""),
                  pool("""
            locations
            product codes
            URLs
            monetary amounts""")),
        "record": (pool("""
            On 3 March 2021 Maria Lopez from Acme Corp emailed j.smith@globex.com about the $12,500 contract.
            Call our Berlin office at +49 30 1234567 or the Paris office at +33 1 98 76 54 32 before 15 June.
            Tesla, Rivian and Ford all reported delivery numbers on 2 January, with prices starting at $39,990.
            The meeting with Dr. Alan Grant and Ellie Sattler is moved from 12/04 to 19/04 at Ingen Labs.
            Send the signed form to hr@initech.com or fax it to 555-0199 by Friday, 30 September.
            Peter Novak paid EUR 250 on 14 May and EUR 310 on 2 June to Blue River Ltd.
            Contact sales@umbrella.io (Laura Chen) or support@umbrella.io (Tom Baker) for a quote under $5,000.
            Samsung and LG unveiled new TVs at CES on 9 January; the 65-inch model costs $1,799."""),
                   pool("""
            Our warehouse in Rotterdam shipped item SKU-4471 and SKU-9902 to Lyon, see https://track.example.com/88.
            Priya Raman flew from Mumbai to Toronto, spending CAD 1,240 on flights and CAD 300 on hotels.
            The recall covers part numbers AX-100 and AX-220 sold in Texas and Ohio between 2019 and 2022.
            Visit https://docs.example.org/start and https://status.example.org for details on the Madrid outage.""")),
        "invoice": (pool("""
            INVOICE #INV-2023-0418 | Northwind Traders | Total due: $4,312.50 | Due date: 30 April 2023 | Net 30
            Bill to: Contoso Ltd. Invoice no. 77812, issued 05/02/2024, amount payable EUR 980.00, pay by 05/03/2024.
            Tax invoice 0093 from Blue Bottle Supplies, subtotal 1,200.00, VAT 240.00, total 1,440.00, due 12 Nov."""),
                    pool("""
            Receipt - Corner Cafe - 2 cappuccino 7.80, croissant 3.20, TOTAL 11.00 - 21/06/2024 09:14
            Fresh Market Ltd, 14 Aug 2023, groceries, card payment GBP 64.35""")),
        "signature": (pool("""
            Jane Doe | Senior Product Manager | Initech Inc. | +1 (415) 555-0134 | jane.doe@initech.com
            Best regards, Mark Twain, Head of Sales, Riverboat Co., mark@riverboat.co, 020 7946 0958
            Dr. Amina Yusuf - Chief Scientist - BioGen Labs - amina.yusuf@biogen.example - +44 161 496 0000"""),
                      pool("""
            Cheers, Luis Ortega / Lead Engineer / Stratos Aerospace / l.ortega@stratos.example
            Kind regards -- Hannah Meyer, Office Manager, Meyer & Sons GmbH, hannah@meyer-sons.de""")),
    },
    "summarisation": {
        "train": ["Summarise the following text in two sentences:\n\n{passage}",
                  "TL;DR please:\n{passage}",
                  "{passage}\n\nGive me a one-paragraph summary of the above.",
                  "Condense this into three bullet points: {passage}",
                  "Write a short summary of this article for a newsletter: {passage}",
                  "Summarize the key points of this meeting transcript:\n{transcript}",
                  "What are the main takeaways from this discussion? Keep it brief.\n{transcript}"],
        "test": ["Can you boil this down to the essentials? {passage}",
                 "Write a brief abstract for this: {passage}",
                 "{passage}\n\nWhat's the gist, in one line?",
                 "Give me a quick recap of this call for people who missed it:\n{transcript}",
                 "Shorten this to under fifty words while keeping the main message: {passage}"],
        "passage": (pool("""
            The city council approved a plan to convert three downtown streets into pedestrian zones. Supporters say it will boost local shops and reduce pollution, while some business owners worry about deliveries and parking. Construction starts next spring and is expected to take eighteen months.
            Researchers at the university have developed a battery that charges in under ten minutes. The design uses a new silicon anode that resists cracking. The team says commercial versions could appear in phones within five years, but costs remain high.
            Remote work has changed how companies think about office space. Many firms are shrinking their headquarters and investing in shared hubs closer to where employees live. Critics argue that spontaneous collaboration suffers when people rarely meet in person.
            The annual report shows revenue grew 12 percent, driven mostly by the cloud division. Hardware sales fell for the second year in a row. Management expects margins to improve as the company phases out older product lines.
            A long drought has left reservoirs in the region at their lowest levels in decades. Farmers have been asked to cut water use by a third, and several towns have banned lawn watering. Meteorologists say the coming winter may bring some relief.
            The novel follows a young cartographer who is hired to map an island that does not appear on any chart. As she travels inland she discovers that the island changes shape each night. The book mixes adventure with reflections on memory and loss.
            The new privacy law requires companies to delete customer data on request within thirty days. Firms that fail to comply face fines of up to four percent of global turnover. Consumer groups welcomed the law, while industry groups called the deadline unrealistic.
            Scientists tracking migratory birds found that many species now arrive two weeks earlier than they did fifty years ago. The shift matches rising spring temperatures. Some birds now miss the peak of insect abundance, which harms their chicks.
            Our onboarding process takes new engineers about six weeks to ship their first change. Most of the delay comes from access requests and an outdated setup guide. The proposal is to automate account creation and assign each new hire a mentor.
            The museum's new wing doubles its exhibition space and adds a rooftop garden. It opens with a retrospective of a local photographer who documented the harbour for forty years. Tickets for the first month are free for residents.
            Electric scooters arrived in the city last summer and quickly became popular with commuters. Hospitals report a rise in injuries, and pavements are often blocked by parked scooters. The council is considering speed limits and designated parking bays.
            The company's customer survey found that most users value reliability over new features. Complaints centred on slow page loads and confusing settings. The product team plans to spend the next quarter on performance and simplifying the interface."""),
                    pool("""
            The railway operator announced that night trains will return on the northern line after a ten-year pause. Sleeper cars have been refurbished and tickets go on sale next month. The company hopes to win back travellers who switched to short flights.
            A study of ten thousand students found that those who slept at least eight hours scored noticeably higher in maths. The effect was strongest in the week before exams. The authors recommend later school start times.
            The software team migrated the billing service to a new database over the weekend. The switch caused twenty minutes of downtime and a handful of duplicate charges, which have since been refunded. A post-mortem is scheduled for Tuesday.
            Coral reefs in the bay showed signs of recovery this year after two summers of bleaching. Divers counted more young coral than in any survey since 2015. Conservationists caution that another heatwave could undo the progress.""")),
        "transcript": (pool("""
            Anna: We are two weeks behind on the mobile release. Ben: The login bug took longer than planned. Anna: Can we cut the offline mode? Ben: Yes, that saves a week. Anna: Then let's ship on the 20th and tell marketing today.
            Chair: The budget for the festival is 40,000. Sam: Security alone costs 12,000. Lee: We could get a sponsor for the stage. Chair: Lee, please contact two sponsors by Friday; we decide next meeting.
            Priya: Customer churn rose to 6 percent last quarter. Tom: Mostly small businesses leaving after the price change. Priya: Let's test a cheaper starter plan. Tom: I'll draft the pricing page by Monday.
            Dana: The new office lease ends in June. Omar: Rent goes up 20 percent if we renew. Dana: Half the team is remote anyway. Omar: Then a smaller space would do. Dana: Let's visit two options next week and decide by May.
            Teacher: Test scores in year nine dropped. Head: Attendance fell after the timetable change. Teacher: We could move maths back to mornings. Head: Agreed, try it for one term and review in January."""),
                       pool("""
            Maya: The supplier raised prices by 15 percent. Raj: We can switch to the second supplier, but quality is lower. Maya: Let's order samples first. Raj: I'll request them today and report back next week.
            Lead: The outage lasted two hours because alerts went to an old pager. Ops: We updated the rota. Lead: Add a test alert every Monday. Ops: Done, starting next week.""")),
    },
}
