CREATE TABLE reports (id serial PRIMARY KEY, name text NOT NULL);
