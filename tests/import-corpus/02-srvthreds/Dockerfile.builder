FROM node:20-alpine AS builder
WORKDIR /srvthreds
COPY package*.json tsconfig.json ./
RUN npm ci
COPY src ./src
RUN npm run build
