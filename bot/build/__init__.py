"""Build-time code: the index build and the verifier's training (torch, scikit-learn, LightGBM).

It sits above the pipeline, since the verifier is trained on the very features the pipeline
computes; nothing serving imports it (a stale index is rebuilt by `python -m bot index` in a
child process)."""
