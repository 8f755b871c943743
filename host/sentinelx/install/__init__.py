"""Install, uninstall and check the native-messaging host (`sentinelx install|uninstall|doctor`)."""
