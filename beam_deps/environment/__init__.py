"""The environment layer: what is installed here, what a worker will have, and the rules a
requirement is judged by.

``check``, ``stage`` and (read-only) the boot all ask the same questions: which distribution
provides a module, at which version, what the worker image already holds, and whether a
declared requirement conflicts with it. They are answered once, here, so both commands judge a
pipeline the same way and neither imports the other:

* ``distributions``: module -> distribution, installed versions, PEP 610 origins;
* ``declarations``: requirements declared by ``@requires``, requirements files, projects;
* ``images``: the package lists of Beam's SDK container images (``images/{V}/pyX.Y.txt``);
* ``workers``: the worker model a runner gets (local processes, an SDK image, a freeze);
* ``rules``: BD409/BD410/BD420 for declared requirements against the worker model;
* ``skew``: Python, apache-beam and pickler versions against the worker (BD405-BD408).
"""
