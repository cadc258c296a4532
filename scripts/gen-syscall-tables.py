#!/usr/bin/env python3
# Regenerates src/runtime/seccomp/syscall-tables.ts from the installed kernel uapi headers.
import re

out = ("// GENERATED from the kernel uapi headers (asm/unistd_64.h, unistd_32.h, unistd_x32.h) of Debian 12's\n"
       "// linux-libc-dev by scripts/gen-syscall-tables.py. Syscall name → number per architecture. Pure data.\n\n")
for arch, f in [('x86_64', 'unistd_64.h'), ('i386', 'unistd_32.h'), ('x32', 'unistd_x32.h')]:
    txt = open('/usr/include/x86_64-linux-gnu/asm/' + f).read()
    table = {}
    for name, val in re.findall(r'#define __NR_(\w+)\s+(.+)', txt):
        val = val.strip()
        m = re.match(r'\(__X32_SYSCALL_BIT \+ (\d+)\)', val)
        if m:
            table[name] = 0x40000000 + int(m.group(1))
        elif val.isdigit():
            table[name] = int(val)
    out += f"export const SYSCALLS_{arch.upper()}: Readonly<Record<string, number>> = {{\n"
    for name, n in sorted(table.items(), key=lambda kv: kv[1]):
        out += f"  {name}: {n},\n"
    out += "};\n\n"
open('src/runtime/seccomp/syscall-tables.ts', 'w').write(out)
