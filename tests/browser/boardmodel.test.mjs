// client.js's board model without a browser: every board event of PROTOCOL.md applied to a snapshot,
// and the seq rules (apply last+1, ignore <= last, resync on a gap or on a stale model).
import assert from 'node:assert/strict';
import test from 'node:test';

import {applyBoardEvent, BoardTracker} from '../../server/http/browser/client.js';

function snapshot() {
  return {
    title: 'Roadmap', description: '', is_closed: false, owner: 'alice', repo: 'proj',
    columns: [
      {column_id: 1, title: 'To do', color: '#111', sorting: 0, default: true,
       cards: [{issue_id: 11, issue_index: 3, repo: 'alice/proj', title: 'Fix X', sorting: 0, is_closed: false},
               {issue_id: 12, issue_index: 4, repo: 'alice/proj', title: 'Add Y', sorting: 1, is_closed: false}]},
      {column_id: 2, title: 'Done', color: '#222', sorting: 1, default: false, cards: []},
    ],
  };
}

const cardsOf = (board, columnId) =>
  board.columns.find((c) => c.column_id === columnId).cards.map((c) => c.issue_id);

test('card.moved moves the card to its column and place', () => {
  const board = applyBoardEvent(snapshot(), 'card.moved',
                                {issue_id: 11, issue_index: 3, repo: 'alice/proj', from_column_id: 1,
                                 to_column_id: 2, sorting: 0});
  assert.deepEqual(cardsOf(board, 1), [12]);
  assert.deepEqual(cardsOf(board, 2), [11]);
  const back = applyBoardEvent(board, 'card.moved', {issue_id: 11, from_column_id: 2, to_column_id: 1,
                                                     sorting: 1});
  assert.deepEqual(cardsOf(back, 1), [11, 12]);
});

test('card.linked adds a card with the fields it carries, card.unlinked removes it', () => {
  let board = applyBoardEvent(snapshot(), 'card.linked',
                              {issue_id: 13, column_id: 2, issue_index: 9, repo: 'alice/proj', title: 'New'});
  assert.deepEqual(cardsOf(board, 2), [13]);
  assert.equal(board.columns[1].cards[0].title, 'New');
  board = applyBoardEvent(board, 'card.unlinked', {issue_id: 13, column_id: 2});
  assert.deepEqual(cardsOf(board, 2), []);
});

test('columns: created, updated, reordered, deleted with its cards moved', () => {
  let board = applyBoardEvent(snapshot(), 'column.created',
                              {column_id: 3, title: 'Doing', color: '#333', sorting: 2, default: false});
  assert.deepEqual(board.columns.map((c) => c.column_id), [1, 2, 3]);
  board = applyBoardEvent(board, 'column.updated', {column_id: 3, title: 'In progress', default: true});
  assert.equal(board.columns[2].title, 'In progress');
  assert.deepEqual(board.columns.map((c) => c.default), [false, false, true]);
  board = applyBoardEvent(board, 'column.reordered',
                          {columns: [{column_id: 3, sorting: 0}, {column_id: 1, sorting: 1},
                                     {column_id: 2, sorting: 2}]});
  assert.deepEqual(board.columns.map((c) => c.column_id), [3, 1, 2]);
  board = applyBoardEvent(board, 'column.deleted', {column_id: 1, moved_to_column_id: 2});
  assert.deepEqual(board.columns.map((c) => c.column_id), [3, 2]);
  assert.deepEqual(cardsOf(board, 2), [11, 12]);
});

test('project.updated changes the project, project.deleted ends the model', () => {
  const board = applyBoardEvent(snapshot(), 'project.updated', {title: 'Plan', is_closed: true});
  assert.equal(board.title, 'Plan');
  assert.equal(board.is_closed, true);
  assert.equal(board.description, '');
  assert.equal(applyBoardEvent(board, 'project.deleted', {}), null);
});

test('an event naming what the model lacks reports a stale model', () => {
  assert.equal(applyBoardEvent(snapshot(), 'card.moved', {issue_id: 99, from_column_id: 1, to_column_id: 2}),
               undefined);
  assert.equal(applyBoardEvent(snapshot(), 'card.moved', {issue_id: 11, from_column_id: 1, to_column_id: 9}),
               undefined);
  assert.equal(applyBoardEvent(snapshot(), 'column.deleted', {column_id: 1, moved_to_column_id: 9}), undefined);
  assert.equal(applyBoardEvent(snapshot(), 'column.created', {column_id: 2}), undefined);
});

test('the tracker applies seq last+1, ignores old ones and resyncs once on a gap', () => {
  const resyncs = [];
  const tracker = new BoardTracker('project-board.42', (topic) => resyncs.push(topic));
  const moved = (seq, to) => ({type: 'board', topic: 'project-board.42', seq, event: 'card.moved',
                               data: {issue_id: 11, from_column_id: to === 2 ? 1 : 2, to_column_id: to,
                                      sorting: 0}});
  assert.equal(tracker.event(moved(1, 2)), 'unsequenced'); // no snapshot yet
  tracker.snapshot({type: 'board-snapshot', topic: 'project-board.42', seq: 17, board: snapshot()});
  assert.equal(tracker.event(moved(17, 2)), 'ignored');
  assert.equal(tracker.event(moved(18, 2)), 'applied');
  assert.deepEqual(cardsOf(tracker.model, 2), [11]);
  assert.equal(tracker.event(moved(18, 2)), 'ignored');
  assert.equal(tracker.event(moved(20, 1)), 'resync');
  assert.equal(tracker.event(moved(21, 1)), 'resync');
  assert.deepEqual(resyncs, ['project-board.42']);
  assert.equal(tracker.seq, 18);
  tracker.snapshot({type: 'board-snapshot', topic: 'project-board.42', seq: 21, board: snapshot()});
  assert.equal(tracker.event(moved(22, 2)), 'applied');
  assert.equal(tracker.seq, 22);
});

test('a stale model asks for a resync instead of guessing', () => {
  const resyncs = [];
  const tracker = new BoardTracker('project-board.42', (topic) => resyncs.push(topic));
  tracker.snapshot({type: 'board-snapshot', topic: 'project-board.42', seq: 1, board: snapshot()});
  assert.equal(tracker.event({type: 'board', seq: 2, event: 'card.unlinked', data: {issue_id: 99, column_id: 1}}),
               'resync');
  assert.equal(tracker.seq, 1);
  assert.equal(resyncs.length, 1);
});

test('the snapshot is copied, not shared with the message', () => {
  const message = {type: 'board-snapshot', topic: 't', seq: 1, board: snapshot()};
  const tracker = new BoardTracker('t', () => {});
  tracker.snapshot(message);
  tracker.event({type: 'board', seq: 2, event: 'project.updated', data: {title: 'Changed'}});
  assert.equal(message.board.title, 'Roadmap');
  assert.equal(tracker.model.title, 'Changed');
});
