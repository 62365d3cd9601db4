#!/usr/bin/python3
"""A minimal WebKitGTK browser for WebKitWebDriver, with a persistent data directory.

WebKitGTK's MiniBrowser always uses an ephemeral (private) data manager under ``--automation``,
where the origin private file system throws an "unknown transient reason" error, so a repeat
visit could never be tested with it. This shell is the same engine (WebKit2GTK 4.1 through
PyGObject) with ``--data-dir`` as its profile and Safari's storage features switched on with
``--features=+FileSystem,+AccessHandle,...`` (the names of MiniBrowser's ``--features=help``).

WebKitWebDriver starts it as ``webkitgtk:browserOptions.binary`` with ``--automation`` and the
``args`` of the capability. Needs Debian's python3-gi and gir1.2-webkit2-4.1.
"""
import argparse
import sys

import gi

gi.require_version("Gtk", "3.0")
gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2  # noqa: E402

WINDOW = (1280, 1000)


def settings_with(features: str) -> WebKit2.Settings:
    """WebKitSettings with each ``+Name`` feature on and each ``-Name`` off; unknown names fail."""
    settings = WebKit2.Settings()
    known = WebKit2.Settings.get_all_features()
    by_name = {known.get(i).get_identifier(): known.get(i) for i in range(known.get_length())}
    for item in filter(None, features.split(",")):
        name = item.lstrip("+-")
        if name not in by_name:
            sys.exit(f"webkit_shell: unknown feature {name!r}; valid: {', '.join(sorted(by_name))}")
        settings.set_feature_enabled(by_name[name], not item.startswith("-"))
    return settings


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--automation", action="store_true", help="allow WebDriver (always given by it)")
    parser.add_argument("--data-dir", required=True, help="profile folder (website data and cache)")
    parser.add_argument("--features", default="", help="+Name,-Name,... of WebKit's features")
    args, _ = parser.parse_known_args(argv)

    manager = WebKit2.WebsiteDataManager(base_data_directory=f"{args.data_dir}/data",
                                         base_cache_directory=f"{args.data_dir}/cache")
    context = WebKit2.WebContext(website_data_manager=manager)
    context.set_automation_allowed(args.automation)
    settings = settings_with(args.features)
    settings.set_enable_developer_extras(True)

    def create_web_view(_session):
        view = WebKit2.WebView(web_context=context, settings=settings, is_controlled_by_automation=True)
        window = Gtk.Window()
        window.set_default_size(*WINDOW)
        window.add(view)
        window.connect("destroy", lambda _w: Gtk.main_quit())
        window.show_all()
        return view

    def automation_started(_context, session):
        info = WebKit2.ApplicationInfo()
        info.set_name("pynn-webkit-shell")
        info.set_version(WebKit2.get_major_version(), WebKit2.get_minor_version(), WebKit2.get_micro_version())
        session.set_application_info(info)
        session.connect("create-web-view", create_web_view)

    context.connect("automation-started", automation_started)
    Gtk.main()


if __name__ == "__main__":
    main()
