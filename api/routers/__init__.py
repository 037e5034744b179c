"""One router per resource: validate, call one service function, shape the answer."""
