"""`batch-review eval`: a labelled dataset of changes (dataset.py), the reviewer run over all of them at
once (pool.py), precision and recall against the labels (scoring.py, results.py), and what of the labelled
code, its definitions and the cases' context items reached the model's requests (recall.py).

These modules never import a job or a front door; `jobs/eval.py` builds the run and `cli.py` prints it.
"""
