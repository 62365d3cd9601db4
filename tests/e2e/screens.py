"""Phones and tablets: the screens the page is checked at, the smallest touch target, the exceptions
WCAG 2.5.5 allows, and what the probe "fits" (tests/engines/probes.js) must report. Shared by
tests/e2e/test_phone_tablet.py (Chromium) and tests/engines/test_webkit.py (WebKitGTK, by runpy);
no imports, so both can read it."""

SCREENS = {  # CSS px; scale = the device's pixel ratio (Chromium only: WebKitGTK has 1)
    "phone": {"width": 390, "height": 844, "scale": 3},
    "tablet": {"width": 820, "height": 1180, "scale": 2},
}
MIN_TARGET = 44  # CSS px, WCAG 2.5.5 (Target Size, Enhanced)
# selector -> why WCAG 2.5.5 allows a smaller target there
EXEMPT = {
    ".cm-click td[role=button]": "a cell of Inside's confusion matrix: the True digit and Predicted menus "
                                 "beside it (44 px) show the same digits ('equivalent')",
    "p a[href]": "a link inside a sentence ('inline')",
}


def fit_problems(report, width, state):
    """What a report of the probe "fits" (run with ``screen=width``) says does not fit, as sentences."""
    problems = []
    # a mobile browser widens its layout viewport to content that does not fit
    if report["innerWidth"] != width:
        problems.append(f"{state}: the layout viewport is {report['innerWidth']} px, not the screen's {width}")
    if report["scrollWidth"] > width:
        problems.append(f"{state}: the page is {report['scrollWidth']} px wide")
    if report["wide"]:
        problems.append(f"{state}: elements pass the screen's right edge ({width} px): {report['wide']}")
    if report["small"]:
        problems.append(f"{state}: touch targets below {MIN_TARGET}x{MIN_TARGET} px: {report['small']}")
    return problems
