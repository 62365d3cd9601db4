// The CodeMirror 6 pieces the Code panel uses (web/panels/code-editor.js), bundled by
// tools/editor.py into one self-hosted ES module: site/vendor/codemirror.js.
export { EditorState, StateEffect, StateField, Compartment } from "@codemirror/state";
export {
  EditorView, Decoration, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, highlightSpecialChars,
} from "@codemirror/view";
export {
  defaultKeymap, history, historyKeymap, indentWithTab, undo, redo,
} from "@codemirror/commands";
export {
  syntaxHighlighting, defaultHighlightStyle, indentOnInput, bracketMatching, indentUnit,
} from "@codemirror/language";
export { python } from "@codemirror/lang-python";
