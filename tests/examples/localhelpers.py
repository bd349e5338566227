"""A module next to pitfall_local_module.py: importable here, absent on workers."""


def shout(word):
    return word.upper() + "!"
