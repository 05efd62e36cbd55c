"""The server-rendered pages. Reading uses meetings.permissions and meetings.queries; every change
goes through meetings.services, whose errors are shown on the page."""
