"""``steelhil nightly``: one command for a night on the rig.

build the candidate -> check the rig -> lock and power the boards -> flash each real board
once (skipped when it already runs that image) -> run every scenario across the rig's
boards, re-running failures to tell ``flaky`` from ``failed`` -> reports -> a night in the
history -> what changed since last night -> an exit status that fails the pipeline only on
real failures.

Modules: :mod:`.candidate` (what is under test), :mod:`.retry` (which board each attempt
uses and what the attempts add up to), :mod:`.worker` (the scenario phase, in a child
process that imports the candidate's firmware), :mod:`.night` (the whole pipeline).
"""
