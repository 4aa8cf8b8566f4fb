# The lessons' sources (notebooks/source/) are not run as tests: the notebooks written from them
# (the learner's, and the solutions) are. See notebooks/generate.py.
collect_ignore = ["source", "generate.py", "regenerate.py"]
