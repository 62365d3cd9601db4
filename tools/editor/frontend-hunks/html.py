import sys
p = sys.argv[1]; s = open(p).read()
sec = open('tools/editor/frontend-hunks/code_section.html').read(); dlg = open('tools/editor/frontend-hunks/trust_dialog.html').read()
a = "  </main>\n"; assert a in s; s = s.replace(a, sec + a, 1)
a = "\n  <footer"; assert a in s; s = s.replace(a, dlg + a, 1)
open(p, 'w').write(s)
p = sys.argv[2]; s = open(p).read()
a = "@media (prefers-color-scheme: dark)"
css = open('tools/editor/frontend-hunks/code.css').read()
s = s.replace(a, css.lstrip('\n') + "\n" + a, 1) if a in s else s + css
open(p, 'w').write(s)
