# Per-call vs per-row cost in Python onnxruntime (1 intra-op thread): a one-member MLP of fraud-mlp's
# shape with random weights, the shipped fraud-mlp and fraud-gbt, on the parity rows tiled to 4,096.
# Run from the repository root: training/.venv/bin/python bench/results/2026-11-22-s11/call-cost.py
import numpy as np, onnx, onnxruntime as ort, time, json
from onnx import helper, TensorProto, numpy_helper
rng=np.random.default_rng(0)
def init(name, shape): return numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32)*0.1, name)
# 15 raw -> log1p + 15 raw (30) -> 100 -> 50 -> 1 (one member, like one seed of fraud-mlp)
nodes=[helper.make_node("Abs",["x"],["ax"]),helper.make_node("Log",["ax"],["lx"]) ,helper.make_node("Concat",["x","lx"],["c"],axis=1),
 helper.make_node("MatMul",["c","W1"],["h1"]),helper.make_node("Add",["h1","b1"],["h1b"]),helper.make_node("Relu",["h1b"],["r1"]),
 helper.make_node("MatMul",["r1","W2"],["h2"]),helper.make_node("Add",["h2","b2"],["h2b"]),helper.make_node("Relu",["h2b"],["r2"]),
 helper.make_node("MatMul",["r2","W3"],["h3"]),helper.make_node("Sigmoid",["h3"],["p"])]
g=helper.make_graph(nodes,"m",[helper.make_tensor_value_info("x",TensorProto.FLOAT,[None,15])],[helper.make_tensor_value_info("p",TensorProto.FLOAT,[None,1])],
 [init("W1",(30,100)),init("b1",(100,)),init("W2",(100,50)),init("b2",(50,)),init("W3",(50,1))])
m=helper.make_model(g,opset_imports=[helper.make_opsetid("",17)]); m.ir_version=8
onnx.save(m,"/tmp/mlp1.onnx")
so=ort.SessionOptions(); so.intra_op_num_threads=1
rows=np.array(json.load(open("models/fraud-mlp/1.0.0/parity-sample.json"))["rows"],dtype=np.float32)
X=np.tile(rows,(100,1))[:4096]
for path,out in (("/tmp/mlp1.onnx","p"),("models/fraud-mlp/1.0.0/model.onnx","probabilities"),("models/fraud-gbt/1.0.0/model.onnx","probabilities")):
    s=ort.InferenceSession(path,so,providers=["CPUExecutionProvider"]); name=s.get_inputs()[0].name
    res=[]
    for bs in (1,256):
        t=time.perf_counter(); n=0
        while time.perf_counter()-t<2:
            for i in range(0,len(X) if bs>1 else 500,bs):
                s.run([out],{name:X[i:i+bs]}); n+=len(X[i:i+bs])
        res.append((time.perf_counter()-t)/n*1e6)
    print(path, "per-event %.1f us, batched %.2f us/row"%tuple(res))
