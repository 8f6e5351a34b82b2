# Per-call vs per-row cost of moderation-text 1.0.2 in Python onnxruntime (1 intra-op thread), parity-sample texts tiled to 4,096.
# Run from the repository root: training/.venv/bin/python bench/results/2026-11-22-s13/call-cost-moderation.py
import numpy as np, onnxruntime as ort, time, json
so=ort.SessionOptions(); so.intra_op_num_threads=1
d=json.load(open("models/moderation-text/1.0.2/parity-sample.json"))
rows=d.get("rows") or d.get("texts")
texts=[r if isinstance(r,str) else (r[0] if isinstance(r,list) else r.get("text")) for r in rows]
X=np.array((texts*100)[:4096],dtype=object).reshape(-1,1)
s=ort.InferenceSession("models/moderation-text/1.0.2/model.onnx",so,providers=["CPUExecutionProvider"])
for bs in (1,256):
    t=time.perf_counter(); n=0
    while time.perf_counter()-t<3:
        for i in range(0,len(X) if bs>1 else 500,bs):
            s.run(["probabilities"],{"text":X[i:i+bs]}); n+=len(X[i:i+bs])
    print(bs,"%.2f us/row"%((time.perf_counter()-t)/n*1e6))
print(np.mean([len(t) for t in texts]))
