#!/usr/bin/env python3
# Generates tests/c/wasmtime50_prototypes.h: Wasmtime 50.0.1's declaration
# of every function Kiln's headers declare, for the ABI check (abi.c).
#
#   tests/c/gen_wasmtime50_prototypes.py include WASMTIME_INCLUDE \
#       tests/c/wasmtime50_prototypes.h
#
# WASMTIME_INCLUDE is the include/ directory of the `wasmtime-c-api-impl`
# 50.0.1 crate with a configured wasmtime/conf.h (WASMTIME_FEATURE_* of the
# default build). Only needed when the headers change; CI compiles the
# checked-in output.
import re, subprocess, sys
def decls(inc, extra=""):
    src = "#include <wasm.h>\n#include <wasmtime.h>\n" + extra
    out = subprocess.run(["cc","-E","-P","-I",inc,"-"],input=src,capture_output=True,text=True,check=True).stdout
    text = re.sub(r"\s+"," ",out)
    inline = set(re.findall(r"static inline [^(;{]*?\b(\w+)\s*\(", text))
    res = {}
    for stmt in text.split(";"):
        stmt = stmt.strip()
        if "typedef" in stmt or "{" in stmt or "}" in stmt and "(" not in stmt: 
            # drop everything up to last } (e.g. after struct defs)
            if "}" in stmt:
                stmt = stmt[stmt.rfind("}")+1:].strip()
            if "typedef" in stmt or "{" in stmt: continue
        m = re.search(r"\b(wasm(?:time)?_[a-z0-9_]+)\s*\(", stmt)
        if not m or stmt.startswith("static"): continue
        name = m.group(1)
        if name in inline or "return" in stmt or "&" in stmt: continue
        # function pointer typedef params etc: require name to be the declared one (first identifier followed by '(' not preceded by '(*')
        if "(*" + name in stmt: continue
        stmt = stmt.lstrip("} ")
        res[name] = stmt + ";"
    return res
ours = decls(sys.argv[1])
# The reference page of wasmtime/instance.h (the contract) differs from
# Wasmtime 50 for these two: a store pointer, and a non-const pre.
SEED = {"wasmtime_instance_pre_instantiate", "wasmtime_instance_pre_module"}
ours = {k: v for k, v in ours.items() if not k.startswith("kiln_") and k not in SEED}
ref = decls(sys.argv[2], "#include <wasmtime/externref.h>\n")
missing = [n for n in ours if n not in ref]
lines = ["/* Wasmtime 50.0.1's declarations of the functions Kiln declares,",
         " * generated from Wasmtime's headers: abi.c includes them after",
         " * <wasmtime.h>, so any signature that differs fails to compile.",
         " * Not included: wasmtime_instance_pre_instantiate and",
         " * wasmtime_instance_pre_module, whose signatures follow the reference",
         " * page of wasmtime/instance.h (a wasmtime_store_t *, a non-const",
         " * instance-pre) rather than Wasmtime 50. */",
         "#ifndef KILN_WASMTIME50_PROTOTYPES_H", "#define KILN_WASMTIME50_PROTOTYPES_H"]
for n in sorted(ours):
    if n in ref:
        lines.append(ref[n].replace("_Bool","bool"))
lines.append("#endif")
open(sys.argv[3],"w").write("\n".join(lines)+"\n")
print(len(ours), "declared by Kiln;", len(ours)-len(missing), "checked;", "not in Wasmtime 50:", missing)
