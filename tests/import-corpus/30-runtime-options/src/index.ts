// watched
