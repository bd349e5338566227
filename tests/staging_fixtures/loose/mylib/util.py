import pathlib


def shout(text):
    return text.upper() + "!"


def describe(text):
    # Imported where it runs: on the worker. Only the AST walk can see this import.
    import iniconfig

    return f"{text} ({iniconfig.__name__})"


def greeting():
    return (pathlib.Path(__file__).parent / "greeting.txt").read_text().strip()
