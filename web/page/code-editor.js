// code-editor.js: the Code panel's Python editor: CodeMirror 6 from the self-hosted bundle
// (vendor/codemirror.js, built by tools/editor.py), loaded on first use with a dynamic import so
// the page's start-up never pays for it. Knows nothing about Python or the worker.
//
// Keys: Tab / Shift+Tab indent and dedent, Escape leaves the editor (focus moves to `escapeTo`),
// Ctrl/Cmd+Enter calls `onRun` (Check), Ctrl/Cmd+Shift+Enter calls `onRunAlt` (Train), Ctrl/Cmd+Z
// undo, Ctrl/Cmd+Shift+Z or Ctrl+Y redo.

let bundle = null;

/** The CodeMirror bundle (one fetch per page; a failed fetch may be retried). */
export function loadCodeMirror(url = new URL('../vendor/codemirror.js', import.meta.url)) {
  if (!bundle) {
    bundle = import(url.href).catch((err) => {
      bundle = null;
      throw new Error(`The code editor (${url.pathname}) could not be loaded: ${err.message}. Reload the page; if it persists, rebuild the site with "python3 build.py".`);
    });
  }
  return bundle;
}

/**
 * Create an editor in `parent` holding `doc`. Options: `label` (its accessible name), `onChange(text)`,
 * `onRun()`, `onRunAlt()`, `escapeTo()` -> the element Escape moves focus to.
 * Resolves to {text(), setText(text), markLine(line | null), focus(), view}.
 */
export async function createEditor(parent, { doc = '', label = 'Python code', onChange, onRun, onRunAlt, escapeTo } = {}) {
  const cm = await loadCodeMirror();
  const { EditorView, EditorState, StateEffect, StateField, Decoration, keymap } = cm;

  // the line of a Python error: one line decoration, cleared by the next edit
  const setError = StateEffect.define();
  const errorLine = StateField.define({
    create: () => Decoration.none,
    update(deco, tr) {
      for (const e of tr.effects) {
        if (e.is(setError)) {
          if (e.value == null) return Decoration.none;
          const line = tr.state.doc.line(e.value);
          return Decoration.set([Decoration.line({ class: 'cm-error-line', attributes: { 'data-error-line': String(e.value) } }).range(line.from)]);
        }
      }
      return tr.docChanged ? Decoration.none : deco.map(tr.changes);
    },
    provide: (f) => EditorView.decorations.from(f),
  });

  const run = (fn) => () => {
    if (fn) fn();
    return true;
  };
  const keys = keymap.of([
    { key: 'Mod-Enter', run: run(onRun) },
    { key: 'Mod-Shift-Enter', run: run(onRunAlt) },
    {
      key: 'Escape',
      run: (view) => {
        const target = escapeTo && escapeTo();
        view.contentDOM.blur();
        if (target) target.focus();
        return true;
      },
    },
  ]);

  const state = EditorState.create({
    doc,
    extensions: [
      keys, // before the defaults, so Mod-Enter runs instead of inserting a line
      cm.lineNumbers(),
      cm.highlightActiveLineGutter(),
      cm.highlightSpecialChars(),
      cm.history(),
      cm.drawSelection(),
      cm.indentOnInput(),
      cm.bracketMatching(),
      cm.highlightActiveLine(),
      cm.syntaxHighlighting(cm.defaultHighlightStyle, { fallback: true }),
      cm.indentUnit.of('    '),
      EditorState.tabSize.of(4),
      EditorView.lineWrapping, // long lines wrap (a phone shows the whole line)
      keymap.of([...cm.defaultKeymap, ...cm.historyKeymap, cm.indentWithTab]),
      cm.python(),
      errorLine,
      EditorView.theme({
        // light paper in both themes (the default highlight style is made for it); the page's focus colour
        '&': { maxHeight: '60vh', minHeight: '14em', fontSize: '15px', background: '#fff', color: '#1a1f2e' },
        '&.cm-focused': { outline: '3px solid var(--focus)' },
        '.cm-scroller': { fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace", lineHeight: '1.5' },
        '.cm-error-line': { backgroundColor: '#fdecec', boxShadow: 'inset 3px 0 0 #c62828' },
      }),
      // tabindex: the scroller's content counts as focusable (axe: scrollable-region-focusable)
      EditorView.contentAttributes.of({ 'aria-label': label, tabindex: '0', autocapitalize: 'off', autocorrect: 'off', spellcheck: 'false' }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged && onChange) onChange(u.state.doc.toString());
      }),
    ],
  });
  // In a shadow root, CodeMirror's styles go in as constructed style sheets: the page's
  // Content-Security-Policy (style-src 'self') blocks the <style> elements it uses elsewhere.
  const root = parent.shadowRoot || parent.attachShadow({ mode: 'open' });
  const view = new EditorView({ state, parent: root, root });

  return {
    view,
    text: () => view.state.doc.toString(),
    setText(text) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text }, effects: setError.of(null) });
    },
    /** Highlight line `line` (1-based, clamped to the document) and scroll to it; null clears. */
    markLine(line) {
      if (line == null) {
        view.dispatch({ effects: setError.of(null) });
        return;
      }
      const n = Math.min(Math.max(1, line), view.state.doc.lines);
      const at = view.state.doc.line(n).from;
      view.dispatch({ effects: [setError.of(n), EditorView.scrollIntoView(at, { y: 'center' })] });
    },
    focus: () => view.focus(),
  };
}
