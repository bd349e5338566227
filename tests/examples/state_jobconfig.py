"""Settings of the state_* examples: a module next to the script, shipped to the workers."""

ENV = "dev"  # the script sets it from --env while it builds the pipeline


def bucket():
    return f"{ENV}-bucket"


class Settings:
    region = "eu"  # state_launch_alias.py sets it from --region while it builds the pipeline
