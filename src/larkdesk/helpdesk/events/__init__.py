"""The helpdesk event subscription APIs: `POST /open-apis/helpdesk/v1/events/subscribe`
and `/unsubscribe`."""
