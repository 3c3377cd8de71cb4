"""Easy short-answer questions (arithmetic, capitals, opposites, sentiment): a smoke task.

Written by hand for agentarch; any working design should score high, so a low score points to
a plumbing problem (prompt format, answer extraction) rather than to the model.
"""

from __future__ import annotations

from agentarch.tasks.example import Example
from agentarch.tasks.task import Task

NAME = "easy_qa"
ORIGIN = "written by the agentarch authors for smoke tests"
DESCRIPTION = ("60 easy short-answer questions (arithmetic, capitals, opposites, sentiment); "
               "metric exact.")

ARITHMETIC = [("7 + 5", 12), ("9 - 4", 5), ("6 * 3", 18), ("20 / 4", 5), ("15 + 27", 42),
              ("100 - 35", 65), ("8 * 7", 56), ("81 / 9", 9), ("12 + 13", 25), ("50 - 18", 32),
              ("11 * 4", 44), ("64 / 8", 8), ("3 + 4 + 5", 12), ("2 * 2 * 2", 8), ("99 + 1", 100)]
CAPITALS = [("France", "Paris"), ("Japan", "Tokyo"), ("Italy", "Rome"), ("Germany", "Berlin"),
            ("Spain", "Madrid"), ("Egypt", "Cairo"), ("Canada", "Ottawa"), ("Kenya", "Nairobi"),
            ("Russia", "Moscow"), ("Greece", "Athens"), ("Norway", "Oslo"), ("Peru", "Lima"),
            ("Portugal", "Lisbon"), ("Ireland", "Dublin"), ("Thailand", "Bangkok")]
OPPOSITES = [("hot", "cold"), ("up", "down"), ("day", "night"), ("left", "right"),
             ("fast", "slow", ["quick"]), ("wet", "dry"), ("full", "empty"), ("early", "late"),
             ("buy", "sell"), ("true", "false"), ("north", "south"), ("win", "lose"),
             ("black", "white"), ("push", "pull"), ("happy", "sad", ["unhappy"])]
SENTIMENT = [("I loved this movie, it was wonderful!", "positive"),
             ("The food was cold and the waiter was rude.", "negative"),
             ("Best purchase I have made all year.", "positive"),
             ("It broke after two days. Total waste of money.", "negative"),
             ("What a beautiful, sunny morning.", "positive"),
             ("I am so disappointed with this book.", "negative"),
             ("The staff were friendly and helpful.", "positive"),
             ("This is the worst hotel I have ever stayed in.", "negative"),
             ("Great value and fast delivery, thank you!", "positive"),
             ("The concert was boring and far too loud.", "negative"),
             ("My kids adore this game.", "positive"),
             ("The app keeps crashing and support never answers.", "negative"),
             ("Delicious coffee and a cozy atmosphere.", "positive"),
             ("I regret buying these shoes; they hurt my feet.", "negative"),
             ("An excellent, moving story.", "positive")]


def build() -> list[Example]:
    out: list[Example] = []

    def add(kind: str, question: str, answer: str, aliases: list[str] | None = None) -> None:
        meta: dict = {"kind": kind}
        if aliases:
            meta["aliases"] = aliases
        out.append(Example(id=f"easy-{len(out):02d}", input=question, target=answer, meta=meta))

    for expr, value in ARITHMETIC:
        add("arithmetic", f"What is {expr}? Answer with a number.", str(value))
    for country, city in CAPITALS:
        add("capital", f"What is the capital of {country}?", city)
    for word, opposite, *alias in OPPOSITES:
        add("opposite", f"What is the opposite of '{word}'? Answer with one word.", opposite,
            alias[0] if alias else None)
    for review, label in SENTIMENT:
        add("sentiment", f'Is the sentiment of this review positive or negative? "{review}"', label)
    return out


def load() -> Task:
    return Task(name=NAME, description=DESCRIPTION, examples=build(), metric="exact", origin=ORIGIN)
