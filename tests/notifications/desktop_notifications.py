"""A desktop's notification server (org.freedesktop.Notifications) on a private D-Bus session
bus, for the service worker's click tests: Chromium on Linux shows a site's notifications
through it, and a click on one, or on one of its buttons, comes back from it as the signal
ActionInvoked, which Chromium turns into the worker's real `notificationclick` (a trusted
event, allowed to open and focus windows, unlike one a script makes).

Run with Debian's Python (python3-dbus, python3-gi): `python3 desktop_notifications.py`.
Each notification shown is printed as one JSON line {"id", "summary", "body", "actions"};
a line "<id> <action>" on standard input invokes that action ("default" is a click on the
notification itself) and the notification is closed, as a desktop does."""

import json
import sys

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

NAME = "org.freedesktop.Notifications"
PATH = "/org/freedesktop/Notifications"


class Server(dbus.service.Object):
    def __init__(self, bus):
        super().__init__(bus, PATH)
        self.last_id = 0

    @dbus.service.method(NAME, in_signature="", out_signature="as")
    def GetCapabilities(self):
        return ["actions", "body", "body-hyperlinks", "persistence"]

    @dbus.service.method(NAME, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        return ["posko-test", "posko", "1.0", "1.2"]

    @dbus.service.method(NAME, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        if replaces:
            number = int(replaces)
        else:
            self.last_id += 1
            number = self.last_id
        print(json.dumps({"id": number, "summary": str(summary), "body": str(body),
                          "actions": [str(a) for a in actions]}), flush=True)
        return number

    @dbus.service.method(NAME, in_signature="u", out_signature="")
    def CloseNotification(self, number):
        self.NotificationClosed(number, 3)

    @dbus.service.signal(NAME, signature="us")
    def ActionInvoked(self, number, action):
        pass

    @dbus.service.signal(NAME, signature="uu")
    def NotificationClosed(self, number, reason):
        pass


def main():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(NAME, bus)  # noqa: F841 - owned while referenced
    server = Server(bus)

    def command(source, condition):
        line = sys.stdin.readline()
        if not line:
            loop.quit()
            return False
        number, action = line.split()
        server.ActionInvoked(int(number), action)
        server.NotificationClosed(int(number), 2)  # dismissed by the user
        return True

    loop = GLib.MainLoop()
    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, command)
    print(json.dumps({"ready": True}), flush=True)
    loop.run()


if __name__ == "__main__":
    main()
