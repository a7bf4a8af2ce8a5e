"""RSVPs: capacity (the event lock and the count), the waitlist, creating/changing/cancelling, tickets."""
