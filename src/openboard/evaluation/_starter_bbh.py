"""BBH-style task families whose examples openboard generates from a seed (no data files)."""

import ast
import random

Example = dict[str, str]
_NAMES = [
    "Alexis", "Bernita", "Christie", "Delbert", "Elanor", "Fidel", "Gwenn", "Helene", "Inga",
    "Jamey", "Kandi", "Leda", "Millie", "Osvaldo", "Phoebe", "Rashida", "Sherrie", "Teressa",
    "Ulysses", "Vernell", "Willian", "Yoland", "Zelma",
]  # fmt: skip
_CATEGORIES = {  # singular, plural
    "musical instruments": [("flute", "flutes"), ("piano", "pianos"), ("trombone", "trombones"), ("violin", "violins"), ("accordion", "accordions"), ("clarinet", "clarinets"), ("drum", "drums"), ("trumpet", "trumpets")],
    "fruits": [("apple", "apples"), ("banana", "bananas"), ("peach", "peaches"), ("plum", "plums"), ("grape", "grapes"), ("orange", "oranges"), ("strawberry", "strawberries"), ("nectarine", "nectarines")],
    "animals": [("cat", "cats"), ("rabbit", "rabbits"), ("donkey", "donkeys"), ("goat", "goats"), ("snail", "snails"), ("mouse", "mice"), ("snake", "snakes"), ("frog", "frogs")],
    "vegetables": [("cabbage", "cabbages"), ("carrot", "carrots"), ("onion", "onions"), ("potato", "potatoes"), ("yam", "yams"), ("head of lettuce", "heads of lettuce"), ("head of broccoli", "heads of broccoli"), ("stalk of celery", "stalks of celery")],
}  # fmt: skip
_NUMBER_WORDS = ["zero", "one", "two", "three", "four"]


def boolean_expression(rng: random.Random) -> Example:
    def operand(depth: int) -> str:
        if depth > 0 and rng.random() < 0.4:
            return f"( {expression(depth - 1)} )"
        return "not " * rng.choice([0, 0, 1, 2]) + rng.choice(["True", "False"])

    def expression(depth: int, fewest: int = 1) -> str:
        # One operator per level, as in BBH: mixing and/or unparenthesized would test precedence.
        op = rng.choice(["and", "or"])
        return f" {op} ".join(operand(depth) for _ in range(rng.randint(fewest, 3)))

    text = expression(1, fewest=2)
    return {"input": f"{text} is", "target": str(_evaluate(text))}


def _evaluate(text: str) -> bool:
    """Evaluate a boolean expression of True/False/not/and/or/( ) without Python's eval."""
    tokens = text.split()
    position = 0

    def parse_or() -> bool:
        nonlocal position
        value = parse_and()
        while position < len(tokens) and tokens[position] == "or":
            position += 1
            right = parse_and()
            value = value or right
        return value

    def parse_and() -> bool:
        nonlocal position
        value = parse_not()
        while position < len(tokens) and tokens[position] == "and":
            position += 1
            right = parse_not()
            value = value and right
        return value

    def parse_not() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "not":
            return not parse_not()
        if token == "(":
            value = parse_or()
            position += 1  # the closing parenthesis
            return value
        return token == "True"

    return parse_or()


def web_of_lies(rng: random.Random) -> Example:
    people = rng.sample(_NAMES, 5)
    truthful = rng.choice([True, False])
    sentences = [f"{people[0]} {'tells the truth' if truthful else 'lies'}."]
    for speaker, subject in zip(people[1:], people, strict=False):
        claims_truth = rng.choice([True, False])
        sentences.append(
            f"{speaker} says {subject} {'tells the truth' if claims_truth else 'lies'}."
        )
        truthful = claims_truth == truthful
    question = f"Question: {' '.join(sentences)} Does {people[-1]} tell the truth?"
    return {"input": question, "target": "Yes" if truthful else "No"}


def object_counting(rng: random.Random) -> Example:
    category = rng.choice(list(_CATEGORIES))
    others = [c for c in _CATEGORIES if c != category]
    items: list[str] = []
    total = 0
    for singular, plural in rng.sample(_CATEGORIES[category], rng.randint(2, 5)):
        count = rng.choice([1, 1, 1, 2, 3])
        total += count
        items.append(
            f"{_article(singular)} {singular}" if count == 1 else f"{_NUMBER_WORDS[count]} {plural}"
        )
    for singular, _ in rng.sample(_CATEGORIES[rng.choice(others)], rng.randint(0, 2)):
        items.append(f"{_article(singular)} {singular}")
    rng.shuffle(items)
    listing = (
        " and ".join(items) if len(items) == 2 else ", ".join(items[:-1]) + f", and {items[-1]}"
    )
    return {"input": f"I have {listing}. How many {category} do I have?", "target": str(total)}


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


def multistep_arithmetic(rng: random.Random) -> Example:
    def inner() -> str:
        terms = [str(rng.randint(-9, 9)) for _ in range(4)]
        ops = [rng.choice(["+", "-", "*"]) for _ in range(3)]
        return (
            "("
            + " ".join(t for pair in zip(terms, [*ops, ""], strict=True) for t in pair if t)
            + ")"
        )

    text = f"({inner()} {rng.choice(['+', '-', '*'])} {inner()})"
    return {"input": f"{text} =", "target": str(_arithmetic(text))}


def _arithmetic(text: str) -> int:
    """Evaluate +, -, * on integers by walking Python's syntax tree; anything else is refused."""

    def walk(node: ast.AST) -> int:
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -walk(node.operand)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Sub | ast.Mult):
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Add):
                return left + right
            return left - right if isinstance(node.op, ast.Sub) else left * right
        raise ValueError(f"not an arithmetic expression: {ast.dump(node)}")

    return walk(ast.parse(text, mode="eval"))


_BRACKETS = {"(": ")", "[": "]", "{": "}", "<": ">"}


def dyck_language(rng: random.Random) -> Example:
    stack: list[str] = []
    sequence: list[str] = []
    length = rng.randint(4, 16)
    while len(sequence) < length or not stack:
        if stack and rng.random() < 0.45:
            sequence.append(_BRACKETS[stack.pop()])
        else:
            opener = rng.choice(list(_BRACKETS))
            stack.append(opener)
            sequence.append(opener)
    closing = " ".join(_BRACKETS[b] for b in reversed(stack))
    prompt = "Complete the rest of the sequence, making sure that the parentheses are closed properly. Input: "
    return {"input": prompt + " ".join(sequence), "target": closing}
