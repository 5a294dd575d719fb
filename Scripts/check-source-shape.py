#!/usr/bin/env python3
"""Lists Swift source lines over 140 characters and functions over 80 lines that lack a comment
saying why (a `//` or `///` line within the three lines above the declaration that mentions
"long" or "lines"). Exit 1 when anything is listed.  Usage: Scripts/check-source-shape.py [DIR...]"""
import os, re, sys

LIMIT_LINE, LIMIT_FUNC = 140, 80
decl = re.compile(r'^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|internal|private|fileprivate|package|static|final|override|mutating|nonisolated|@inlinable|@discardableResult)\s+)*(?:func|init|subscript)\b')

def functions(lines):
    i = 0
    while i < len(lines):
        if decl.match(lines[i]):
            depth, started, j = 0, False, i
            while j < len(lines):
                code = re.sub(r'"(?:\\.|[^"\\])*"', '""', lines[j].split('//')[0])
                depth += code.count('{') - code.count('}')
                if '{' in code: started = True
                if started and depth <= 0: break
                j += 1
            yield i, j
            i += 1
        else:
            i += 1

problems = []
for root in sys.argv[1:] or ['Sources']:
    for dirpath, _, files in os.walk(root):
        for name in sorted(files):
            if not name.endswith('.swift'): continue
            path = os.path.join(dirpath, name)
            lines = open(path, encoding='utf-8').read().split('\n')
            for n, line in enumerate(lines, 1):
                if len(line) > LIMIT_LINE: problems.append(f"{path}:{n}: line of {len(line)} characters")
            for start, end in functions(lines):
                if end - start + 1 > LIMIT_FUNC:
                    above = ' '.join(lines[max(0, start - 3):start]).lower()
                    if '//' in above and ('long' in above or 'lines' in above): continue
                    problems.append(f"{path}:{start + 1}: function of {end - start + 1} lines without a comment saying why")
print('\n'.join(problems) if problems else 'source shape ok: no line over 140 characters, no function over 80 lines without a reason')
sys.exit(1 if problems else 0)
