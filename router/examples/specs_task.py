"""Templates and fillers of the self-contained task classes (make_examples.py)."""
from specs_text import pool


TASK_CLASSES = {
    "arithmetic": {
        "train": ["What is {a} * {b}?",
                  "Calculate {a} + {b} - {c}.",
                  "Compute {p}% of {a}.",
                  "A shop sells pens at ${price} each. How much do {n} pens cost?",
                  "If I have {a} apples and give away {b}, how many do I have left?",
                  "What is ({a} + {b}) / {n}?",
                  "Solve for x: {n}x + {b} = {a}",
                  "A car uses {n} litres of fuel per 100 km. How much fuel does it need for {a} km?",
                  "What's {a} minus {b} times {n}?"],
        "test": ["How much is {a} divided by {n}?",
                 "Add up {a}, {b} and {c}.",
                 "A train travels at {b} km/h for {n} hours. How far does it go?",
                 "What is the square of {b}?",
                 "I earn ${a} a week and save {p} percent of it. How much do I save in {n} weeks?",
                 "Find the average of {a}, {b}, {c} and {n}.",
                 "Quick maths: {b} squared plus {n} cubed equals what?"],
    },
    "open_reasoning": {
        "train": ["What are the pros and cons of {policy}?",
                  "Why do you think {phenomenon}? Explain your reasoning.",
                  "Should {dilemma}? Consider the trade-offs and give your view.",
                  "How would you approach {problem}? Walk me through your thinking.",
                  "Is it ethical to {ethics}? Argue both sides.",
                  "What might happen to society if {hypothetical}?",
                  "Debate the merits of {policy}. Which side do you find more convincing and why?",
                  "Give a reasoned argument about whether {dilemma}.",
                  "Explain the underlying causes: why {phenomenon}?",
                  "What's a good strategy for {problem}? Justify each step.",
                  "Think carefully: if {hypothetical}, how would the economy change?",
                  "Where do you stand on whether we should {ethics}, and what is the best counterargument?"],
        "test": ["Make the strongest case for and against {policy}.",
                 "Help me think through this decision: should {dilemma}?",
                 "I'm puzzled: why is it that {phenomenon}? Reason it out step by step.",
                 "Imagine {hypothetical}. What second-order effects would you expect?",
                 "What's your take on whether it is acceptable to {ethics}?"],
        "policy": (pool("""
            a four-day working week
            banning cars from city centres
            universal basic income
            making university tuition free
            nuclear power as a climate solution
            remote-first companies
            congestion charges for city drivers
            replacing exams with continuous assessment"""),
                   pool("""
            a carbon tax on air travel
            lowering the voting age to sixteen
            rent control in large cities
            a national service year for school leavers""")),
        "phenomenon": (pool("""
            some ancient civilisations collapsed while others endured
            people trust strangers online less than they used to
            so many startups fail in their first five years
            cities with good public transport tend to be more productive
            teenagers today read fewer books than previous generations"""),
                       pool("""
            inflation hurts poorer households more than richer ones
            some languages spread widely while others die out
            open-source projects often thrive without paid staff""")),
        "dilemma": (pool("""
            a small company expand into a new country or focus on its home market
            I accept a higher-paying job that requires moving away from my family
            a hospital prioritise younger patients when resources are scarce
            a government fund space exploration when there is poverty at home
            a startup rewrite its product from scratch or keep patching it"""),
                    pool("""
            I do a PhD or take an industry job after my master's
            our team adopt a monorepo or keep separate repositories
            a city build a new stadium with public money""")),
        "problem": (pool("""
            reducing traffic congestion in a fast-growing city
            deciding which features to build first in a new product
            resolving a long-running conflict between two team members
            designing a fair way to split rent among roommates with different rooms
            getting a sceptical board to approve a risky research project
            cutting a charity's costs without hurting the people it serves"""),
                    pool("""
            planning a museum that appeals to both children and experts
            choosing between three job offers with different trade-offs""")),
        "ethics": (pool("""
            use AI to screen job applicants
            eat meat if lab-grown alternatives are available
            lie to protect someone's feelings
            keep wild animals in zoos for conservation
            pay people to donate organs"""),
                   pool("""
            read your teenager's private messages
            patent a gene discovered in nature
            break a promise to prevent a small harm""")),
        "hypothetical": (pool("""
            everyone could live to 150
            the internet disappeared for a year
            money were replaced entirely by a reputation system
            cars could fly
            every vote in elections were public"""),
                         pool("""
            humans no longer needed to sleep
            all work were done by robots
            nobody could lie anymore""")),
    },
    "code": {
        "train": ["Write a {lang} function that {task}.",
                  "Here is my {lang} code, it throws an error, fix it:\n```\n{snippet}\n```",
                  "Refactor this snippet to be more readable:\n```\n{snippet}\n```",
                  "Write a SQL query that {sql}.",
                  "How do I {task} in {lang}? Show the code.",
                  "Explain what this code does, line by line:\n{snippet}",
                  "Give me a {lang} class that {task}, with docstrings."],
        "test": ["Implement {task} in {lang}.",
                 "Why does this code not work?\n{snippet}",
                 "Give me a shell one-liner to {shell}.",
                 "Add unit tests for this function:\n```\n{snippet}\n```",
                 "Translate this code to {lang}:\n{snippet}",
                 "Optimise this query, it is slow on big tables: {sqlcode}"],
        "lang": (pool("""
            Python
            JavaScript
            C++
            Go
            Java"""),
                 pool("""
            Rust
            TypeScript
            C#
            Kotlin""")),
        "task": (pool("""
            checks whether a string is a palindrome
            merges two sorted lists
            parses a CSV file and sums the second column
            returns the n-th Fibonacci number
            debounces a function call
            reads a JSON config file and validates required keys
            implements a thread-safe queue
            retries an HTTP request with exponential backoff"""),
                 pool("""
            an LRU cache
            binary search over a sorted array
            a function to flatten nested lists
            a rate limiter using a token bucket""")),
        "snippet": (pool("""
            def add(a, b) return a + b
            for (int i = 0; i < v.size(); i++) { total += v[i] }
            const x = await fetch(url).json();
            if x = 5: print("five")
            func main() { fmt.Println("hi" }
            SELECT name, COUNT(*) FROM users;
            public static void main(String args) { System.out.println(1/0); }"""),
                    pool("""
            let v = vec![1, 2, 3]; v.push(4);
            def avg(xs): return sum(xs) / len(xs)
            while (true) { i++ } console.log(i)
            int* p = malloc(10); p[10] = 1;""")),
        "sql": (pool("""
            finds the top five customers by total order value
            counts orders per month for the last year
            lists employees who earn more than their manager
            deletes duplicate rows from a table keeping the newest"""),
                []),
        "shell": ([], pool("""
            find all files larger than 100 MB in my home directory
            count the lines of code in every .py file
            rename all .jpeg files to .jpg""")),
        "sqlcode": ([], pool("""
            SELECT * FROM orders WHERE YEAR(created_at) = 2023 ORDER BY total DESC
            SELECT u.id, (SELECT COUNT(*) FROM posts p WHERE p.user_id = u.id) FROM users u""")),
    },
}
